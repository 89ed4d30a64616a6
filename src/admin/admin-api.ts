import type { FastifyInstance } from 'fastify';
import { Perm } from '../protocol/bodies.js';
import { DLQ_PREFIX, RETRY_PREFIX, validateTopicName, type BrokerContext } from '../broker/broker-context.js';
import type { AdminService, FoundMessage, MessageSearch, ResetTarget } from '../broker/admin-service.js';
import type { ConsumerRegistry } from '../broker/consumer-registry.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import type { MetricsHistory } from './metrics-history.js';
import type { TopicConfig } from '../store/message-store.js';
import type { TelemetrySessions } from '../grpc/telemetry-sessions.js';
import { BrokerError } from '../errors/broker-error.js';

export interface AdminApiDeps {
  ctx: BrokerContext;
  admin: AdminService;
  registry: ConsumerRegistry;
  metrics: GatewayMetrics;
  /** the last hour of rates and lags, for the dashboard's charts */
  history: MetricsHistory;
  /** RocketMQ 5 clients connected over gRPC */
  grpcClients: TelemetrySessions;
  storeKind: string;
  startedAt: number;
  version: string;
  /** every broker slot of the cluster with the gateway serving it now, if any */
  brokers: () => ClusterBroker[];
}

export interface ClusterBroker {
  brokerName: string;
  /** remoting address of the slot's owner, absent while the slot has none */
  address?: string;
  /** the owner's identity (its advertised main address) */
  gateway?: string;
  servedHere: boolean;
}

const MAX_QUEUES = 1024;
/** How long a command to a RocketMQ 5 client may take to be answered. */
const CLIENT_COMMAND_TIMEOUT_MS = 10_000;
const MAX_MESSAGES = 64;
const SYSTEM_TOPICS = /^(SCHEDULE_TOPIC_XXXX|RMQ_SYS_.*|TRANS_CHECK_MAX_TIME_TOPIC|OFFSET_MOVED_EVENT)$/;

const topicKind = (name: string): 'normal' | 'retry' | 'dlq' | 'system' =>
  name.startsWith(RETRY_PREFIX) ? 'retry' : name.startsWith(DLQ_PREFIX) ? 'dlq' : SYSTEM_TOPICS.test(name) ? 'system' : 'normal';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function messageJson({ message: m, offsetMsgId }: FoundMessage): Record<string, unknown> {
  let body: string;
  let bodyEncoding: 'utf8' | 'base64';
  try {
    body = utf8.decode(m.body);
    bodyEncoding = 'utf8';
  } catch {
    body = m.body.toString('base64');
    bodyEncoding = 'base64';
  }
  return {
    topic: m.topic,
    queueId: m.queueId,
    queueOffset: m.queueOffset,
    msgId: m.properties.get('UNIQ_KEY') ?? offsetMsgId,
    offsetMsgId,
    tags: m.properties.get('TAGS') ?? null,
    keys: m.properties.get('KEYS') ?? null,
    properties: Object.fromEntries(m.properties),
    bornTimestamp: m.bornTimestamp,
    storeTimestamp: m.storeTimestamp,
    bornHost: m.bornHost,
    reconsumeTimes: m.reconsumeTimes,
    body,
    bodyEncoding,
  };
}

/** A whole number from a JSON body or a query string, within `min`…`max`; anything else is a 'bad-request'. */
export const wholeNumber = (value: unknown, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number => {
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw new BrokerError('bad-request', `${what} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
};

const text = (value: unknown, what: string): string => {
  if (typeof value !== 'string' || value === '') throw new BrokerError('bad-request', `${what} is required`);
  return value;
};

/** The JSON admin API under /api: cluster, topics, consumer groups, messages; `deps` is asked per request. */
export function registerAdminApi(app: FastifyInstance, deps: () => AdminApiDeps): void {

  app.get('/api/cluster', async () => {
    const d = deps();
    const { ctx, admin, registry } = d;
    const connections = { producer: 0, consumer: 0 };
    for (const { role } of registry.channels()) connections[role]++;
    return {
      clusterName: ctx.settings.clusterName,
      brokerName: ctx.settings.brokerName,
      advertisedAddress: ctx.settings.advertisedAddress,
      store: d.storeKind,
      storeStatus: ctx.store.status(),
      version: d.version,
      startedAt: d.startedAt,
      uptimeMs: Date.now() - d.startedAt,
      topicCount: ctx.store.listTopics().length,
      groupCount: admin.groupNames().length,
      connections,
      brokers: d.brokers(),
    };
  });

  app.get('/api/topics', async () => {
    const { ctx, admin, metrics } = deps();
    const rates = metrics.topicRates();
    const topics = ctx.store.listTopics().sort((a, b) => a.name.localeCompare(b.name));
    return Promise.all(topics.map(async (t) => {
      const queues = await admin.topicStats(t.name, false);
      return {
        ...topicJson(t),
        messages: queues.reduce((n, q) => n + q.maxOffset - q.minOffset, 0),
        maxOffset: queues.reduce((n, q) => n + q.maxOffset, 0),
        inPerSecond: rates.get(t.name)?.inPerSecond ?? 0,
        outPerSecond: rates.get(t.name)?.outPerSecond ?? 0,
      };
    }));
  });

  app.get<{ Params: { name: string } }>('/api/topics/:name', async (req) => {
    const { ctx, admin } = deps();
    const t = ctx.existingTopic(req.params.name);
    return { ...topicJson(t), queues: await admin.topicStats(t.name) };
  });

  app.post<{ Body: Record<string, unknown> | undefined }>('/api/topics', async (req, reply) => {
    const { ctx, admin } = deps();
    const b = req.body ?? {};
    if (typeof b !== 'object' || Array.isArray(b)) throw new BrokerError('bad-request', 'the body must be a JSON object');
    const name = text(b.name, 'name');
    validateTopicName(name);
    if (ctx.store.getTopic(name)) throw new BrokerError('topic-exists', `topic ${name} already exists`);
    const queues = b.queues === undefined ? ctx.settings.defaultQueues : wholeNumber(b.queues, 'queues', 1, MAX_QUEUES);
    const config: TopicConfig = {
      name,
      readQueueNums: b.readQueueNums === undefined ? queues : wholeNumber(b.readQueueNums, 'readQueueNums', 1, MAX_QUEUES),
      writeQueueNums: b.writeQueueNums === undefined ? queues : wholeNumber(b.writeQueueNums, 'writeQueueNums', 1, MAX_QUEUES),
      perm: b.perm === undefined ? Perm.READ | Perm.WRITE : wholeNumber(b.perm, 'perm', 0, 7),
      topicSysFlag: 0,
      order: b.order === undefined ? false : b.order === true,
    };
    if (b.order !== undefined && typeof b.order !== 'boolean') throw new BrokerError('bad-request', 'order must be true or false');
    const created = await ctx.store.putTopic(config);
    ctx.log.info({ topic: name, queues: created.readQueueNums, via: 'http' }, 'topic created');
    reply.code(201);
    return { ...topicJson(created), queues: await admin.topicStats(name) };
  });

  app.get('/api/groups', async () => {
    const { admin } = deps();
    return Promise.all(admin.groupNames().map(async (group) => {
      const info = admin.consumerGroup(group);
      const progress = await admin.groupProgress(group, undefined, false);
      return {
        group,
        // the gateway's own cursors (%SCHEDULE%, %TRANSACTION%): their lag is what waits to be delivered or checked
        system: group.startsWith('%'),
        online: info?.members.length ?? 0,
        messageModel: info?.messageModel ?? null,
        lag: progress.reduce((n, p) => n + p.lag, 0),
        topics: [...new Set(progress.map((p) => p.topic))],
      };
    }));
  });

  app.get<{ Params: { group: string } }>('/api/groups/:group', async (req) => {
    const { admin } = deps();
    const group = req.params.group;
    const info = admin.consumerGroup(group);
    if (!info && !admin.groupNames().includes(group)) throw new BrokerError('group-not-found', `consumer group ${group} has no member online and no committed offset`);
    const progress = await admin.groupProgress(group);
    return {
      group,
      members: info?.members ?? [],
      subscriptions: info?.subscriptions ?? [],
      messageModel: info?.messageModel ?? null,
      consumeFromWhere: info?.consumeFromWhere ?? null,
      lag: progress.reduce((n, p) => n + p.lag, 0),
      progress,
    };
  });

  app.post<{ Params: { group: string }; Body: Record<string, unknown> | undefined }>('/api/groups/:group/reset-offsets', async (req) => {
    const { ctx, admin } = deps();
    const b = req.body ?? {};
    const topic = text(b.topic, 'topic');
    const given = ['timestamp', 'offset', 'position'].filter((k) => b[k] !== undefined);
    if (given.length !== 1) throw new BrokerError('bad-request', 'give exactly one of timestamp (ms since the epoch or an ISO date), offset, or position ("earliest" or "latest")');
    let target: ResetTarget;
    if (b.timestamp !== undefined) {
      const ms = typeof b.timestamp === 'string' && !/^\d+$/.test(b.timestamp) ? Date.parse(b.timestamp) : wholeNumber(b.timestamp, 'timestamp');
      if (Number.isNaN(ms)) throw new BrokerError('bad-request', `timestamp ${JSON.stringify(b.timestamp)} is not a date`);
      target = { timestamp: ms };
    } else if (b.offset !== undefined) {
      target = { offset: wholeNumber(b.offset, 'offset') };
    } else if (b.position === 'earliest' || b.position === 'latest') {
      target = { offset: b.position === 'earliest' ? 0 : Number.MAX_SAFE_INTEGER };
    } else {
      throw new BrokerError('bad-request', 'position must be "earliest" or "latest"');
    }
    ctx.existingTopic(topic);
    return { group: req.params.group, topic, ...(await admin.resetOffsets(req.params.group, topic, target)) };
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/messages', async (req) => {
    const { admin } = deps();
    const q = req.query;
    const max = q.max === undefined ? 32 : wholeNumber(q.max, 'max', 1, MAX_MESSAGES);
    let search: MessageSearch;
    if (q.msgId !== undefined) search = { by: 'id', msgId: text(q.msgId, 'msgId'), topic: q.topic || undefined };
    else if (q.key !== undefined) search = { by: 'key', topic: text(q.topic, 'topic'), key: text(q.key, 'key'), max };
    else if (q.offset !== undefined) {
      search = { by: 'offset', topic: text(q.topic, 'topic'), queueId: wholeNumber(q.queueId, 'queueId', 0, MAX_QUEUES - 1), offset: wholeNumber(q.offset, 'offset'), max };
    } else throw new BrokerError('bad-request', 'search by msgId (with topic for a client msgId), by topic and key, or by topic, queueId and offset');
    return { messages: (await admin.findMessages(search)).map(messageJson) };
  });
}

/**
 * RocketMQ 5 clients and the commands their telemetry streams take: thread stacks, and verification that a
 * consumer's listener consumes a given message.
 */
export function registerGrpcClientApi(app: FastifyInstance, deps: () => AdminApiDeps): void {
  const connected = (clientId: string): TelemetrySessions => {
    const sessions = deps().grpcClients;
    if (!sessions.alive(clientId)) throw new BrokerError('client-not-found', `no RocketMQ 5 client ${clientId} is connected`);
    return sessions;
  };

  app.get('/api/grpc-clients', async () => ({ clients: deps().grpcClients.clients() }));

  app.post<{ Params: { clientId: string } }>('/api/grpc-clients/:clientId/thread-stack', async (req) => (
    { clientId: req.params.clientId, threadStack: await connected(req.params.clientId).printThreadStack(req.params.clientId, CLIENT_COMMAND_TIMEOUT_MS) }
  ));

  app.post<{ Params: { clientId: string }; Body: Record<string, unknown> | undefined }>('/api/grpc-clients/:clientId/verify-message', async (req) => {
    const { clientId } = req.params;
    const sessions = connected(clientId);
    const { admin, ctx } = deps();
    const body = req.body ?? {};
    const [found] = await admin.findMessages({ by: 'id', msgId: text(body.msgId, 'msgId'), topic: typeof body.topic === 'string' && body.topic !== '' ? body.topic : undefined });
    if (!found) throw new BrokerError('message-not-found', `message ${String(body.msgId)} not found`);
    const status = await sessions.verifyMessage(clientId, found.message, ctx.settings.advertisedAddress, CLIENT_COMMAND_TIMEOUT_MS);
    return { clientId, msgId: body.msgId, consumed: status.code === 'OK', status };
  });
}

function topicJson(t: TopicConfig) {
  return { name: t.name, kind: topicKind(t.name), readQueueNums: t.readQueueNums, writeQueueNums: t.writeQueueNums, perm: t.perm, order: t.order };
}
