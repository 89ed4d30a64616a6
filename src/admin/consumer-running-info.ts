import type { FastifyInstance } from 'fastify';
import { createRequest } from '../remoting/remoting-command.js';
import { RequestCode, ResponseCode } from '../protocol/request-code.js';
import { ObjectKeyMap, parseFastjson } from '../protocol/fastjson.js';
import { ClientCallProcessor } from '../broker/client-call-processor.js';
import type { BrokerContext } from '../broker/broker-context.js';
import type { ConsumerRegistry } from '../broker/consumer-registry.js';
import type { AdminService } from '../broker/admin-service.js';
import { BrokerError } from '../errors/broker-error.js';

/** One member's answer: what a 4.x client reports of itself (ConsumerRunningInfo), or why it did not. */
export type MemberRunningInfo = { clientId: string; clientAddr: string; language: string; version: number | string } & (
  | {
    answered: true;
    /** the client's own settings and versions (consumerGroup, PROP_CLIENT_VERSION, PROP_CONSUME_TYPE, …) */
    properties: Record<string, unknown>;
    subscriptions: Array<{ topic: string; expression: string; type: string; tags: unknown[] }>;
    /** per queue the client holds: its committed offset, what it has cached, whether it is locked or dropped */
    queues: Array<Record<string, unknown> & { topic: string; brokerName: string; queueId: number }>;
    /** per topic: pull and consume rates and times (ConsumeStatus) */
    status: Array<Record<string, unknown> & { topic: string }>;
  }
  | { answered: false; error: string });

/** Numbers beyond 2^53 come from the client as bigints, which JSON cannot hold: they go out as strings. */
const jsonSafe = (v: unknown): unknown => {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v instanceof ObjectKeyMap) return v.entries.map(([k, val]) => ({ key: jsonSafe(k), value: jsonSafe(val) }));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, val]) => [k, jsonSafe(val)]));
  return v;
};

const entriesOf = (v: unknown): Array<[unknown, unknown]> =>
  v instanceof ObjectKeyMap ? v.entries.map(([k, val]) => [k, val]) : v !== null && typeof v === 'object' ? Object.entries(v) : [];

function runningInfoJson(body: Buffer | undefined): Omit<Extract<MemberRunningInfo, { answered: true }>, 'clientId' | 'clientAddr' | 'language' | 'version'> {
  const info = (body && body.length > 0 ? parseFastjson(body.toString('utf8')) : {}) as Record<string, unknown>;
  const subscriptions = (Array.isArray(info.subscriptionSet) ? info.subscriptionSet : []) as Array<Record<string, unknown>>;
  return {
    answered: true,
    properties: jsonSafe(info.properties ?? {}) as Record<string, unknown>,
    subscriptions: subscriptions.map((s) => ({
      topic: String(s.topic ?? ''), expression: String(s.subString ?? ''), type: String(s.expressionType ?? 'TAG'), tags: Array.isArray(s.tagsSet) ? s.tagsSet : [],
    })).sort((a, b) => a.topic.localeCompare(b.topic)),
    queues: entriesOf(info.mqTable).map(([queue, pq]) => {
      const q = queue as { topic?: string; brokerName?: string; queueId?: number };
      return { topic: String(q.topic ?? ''), brokerName: String(q.brokerName ?? ''), queueId: Number(q.queueId ?? -1), ...(jsonSafe(pq) as Record<string, unknown>) };
    }).sort((a, b) => a.topic.localeCompare(b.topic) || a.queueId - b.queueId),
    status: entriesOf(info.statusTable).map(([topic, s]) => ({ topic: String(topic), ...(jsonSafe(s) as Record<string, unknown>) }))
      .sort((a, b) => a.topic.localeCompare(b.topic)),
  };
}

/**
 * Every online member of a group asked for its running info (GET_CONSUMER_RUNNING_INFO) over its own connection, in
 * parallel, through the same ClientCallProcessor that answers mqadmin's consumerStatus; RocketMQ 5 members are
 * listed as not asked, as their gRPC sessions carry no such command.
 */
export async function groupRunningInfo(ctx: BrokerContext, registry: ConsumerRegistry, admin: AdminService, group: string): Promise<MemberRunningInfo[]> {
  const members = admin.consumerGroup(group)?.members ?? [];
  if (members.length === 0 && !admin.groupNames().includes(group)) throw new BrokerError('group-not-found', `consumer group ${group} has no member online and no committed offset`);
  const remoting = new Set((registry.consumerGroup(group)?.clients ?? []).map((c) => c.clientId));
  const calls = new ClientCallProcessor(ctx, registry);
  return Promise.all(members.map(async (m): Promise<MemberRunningInfo> => {
    const who = { clientId: m.clientId, clientAddr: m.clientAddr, language: m.language, version: m.version };
    if (!remoting.has(m.clientId)) return { ...who, answered: false, error: 'a RocketMQ 5 client: its gRPC session takes no running-info request' };
    const answer = await calls.getConsumerRunningInfo(createRequest(RequestCode.GET_CONSUMER_RUNNING_INFO, { consumerGroup: group, clientId: m.clientId, jstackEnable: 'false' }));
    if (answer.code !== ResponseCode.SUCCESS) return { ...who, answered: false, error: answer.remark ?? `answered code ${answer.code}` };
    try {
      return { ...who, ...runningInfoJson(answer.body) };
    } catch (err) {
      return { ...who, answered: false, error: `its answer could not be read: ${(err as Error).message}` };
    }
  }));
}

/** GET /api/groups/:group/running-info: each online member's running info, as mqadmin consumerStatus shows it. */
export function registerRunningInfoApi(app: FastifyInstance, deps: () => { ctx: BrokerContext; registry: ConsumerRegistry; admin: AdminService }): void {
  app.get<{ Params: { group: string } }>('/api/groups/:group/running-info', async (req) => {
    const { ctx, registry, admin } = deps();
    return { group: req.params.group, members: await groupRunningInfo(ctx, registry, admin, req.params.group) };
  });
}
