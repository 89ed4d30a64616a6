import { createRequest, ONEWAY_FLAG } from '../remoting/remoting-command.js';
import { RequestCode } from '../protocol/request-code.js';
import { fastjsonBody, ObjectKeyMap } from '../protocol/fastjson.js';
import { createOffsetMsgId, parseOffsetMsgId } from '../protocol/message-codec.js';
import { BrokerError } from '../errors/broker-error.js';
import type { StoredMessage } from '../store/message-store.js';
import type { SubscriptionView } from '../protocol/subscription.js';
import { RETRY_PREFIX, type BrokerContext } from './broker-context.js';
import type { ClientChannel, ConsumerRegistry } from './consumer-registry.js';

export interface QueueStats {
  queueId: number;
  minOffset: number;
  /** offset the next message will get */
  maxOffset: number;
  /** store time of the newest message, 0 for an empty queue */
  lastUpdateTimestamp: number;
}

export interface GroupQueueProgress {
  topic: string;
  queueId: number;
  /** the queue's max offset */
  brokerOffset: number;
  /** committed offset, 0 when the group has committed none */
  consumerOffset: number;
  lag: number;
  /** store time of the last consumed message, 0 when none */
  lastTimestamp: number;
}

export interface ClientInfo {
  clientId: string;
  clientAddr: string;
  language: string;
  version: number;
  lastHeartbeat: number;
}

export interface ConsumerGroupInfo {
  members: ClientInfo[];
  subscriptions: SubscriptionView[];
  messageModel: string;
  consumeFromWhere: string;
  consumeType: string;
}

/** How an operator looks for messages. */
export type MessageSearch =
  | { by: 'key'; topic: string; key: string; max: number }
  /** an offsetMsgId (store address and locator), or a client msgId (UNIQ_KEY), which needs the topic */
  | { by: 'id'; msgId: string; topic?: string }
  | { by: 'offset'; topic: string; queueId: number; offset: number; max: number };

/** A found message with the ids clients know it by. */
export interface FoundMessage {
  message: StoredMessage;
  offsetMsgId: string;
}

/**
 * Where a reset moves a group: the first message stored at or after a time, or an explicit offset; on every
 * queue of the topic, or on `queueId` only.
 */
export type ResetTarget = ({ timestamp: number } | { offset: number }) & { queueId?: number };

export interface ResetResult {
  queues: Array<{ queueId: number; offset: number }>;
  /** online clients told to drop what they hold and resume from the new offsets */
  notifiedClients: number;
}

/** A RocketMQ 5 consumer (gRPC, pop-style), which the remoting registry does not hold. */
export interface PopConsumer {
  group: string;
  client: ClientInfo;
  subscriptions: SubscriptionView[];
}

/** What the admin service needs of pop-style consumption, whose consumers and state live outside the registry. */
export interface PopConsumers {
  members(): PopConsumer[];
  /** Offsets were moved under the group: what its pops hold of the topic is dropped, so they resume from the new ones. */
  offsetsReset(group: string, topic: string): Promise<void>;
}

const NO_POP_CONSUMERS: PopConsumers = { members: () => [], offsetsReset: async () => undefined };

const clientInfo = (c: ClientChannel): ClientInfo =>
  ({ clientId: c.clientId, clientAddr: c.connection.remoteAddress, language: c.language, version: c.version, lastHeartbeat: c.lastHeartbeat });

/**
 * What operators ask of the broker, whichever surface they ask through (mqadmin's request codes, the HTTP
 * admin API, the dashboard, metrics): queue and group statistics, group members, offset resets.
 */
export class AdminService {
  constructor(private readonly ctx: BrokerContext, private readonly registry: ConsumerRegistry, private readonly pops: PopConsumers = NO_POP_CONSUMERS) {}

  /**
   * Per-queue offsets of an existing topic (TOPIC_NOT_EXIST otherwise). The last store time costs a read per
   * queue; callers that only need offsets (the polled topic list, resets) go without it (0).
   */
  async topicStats(topic: string, withLastTimestamp = true): Promise<QueueStats[]> {
    const t = this.ctx.existingTopic(topic);
    const store = this.ctx.store;
    const queues = Math.max(t.readQueueNums, t.writeQueueNums);
    return Promise.all(Array.from({ length: queues }, async (_, queueId) => {
      const [minOffset, maxOffset] = await Promise.all([store.minOffset(topic, queueId), store.maxOffset(topic, queueId)]);
      return { queueId, minOffset, maxOffset, lastUpdateTimestamp: withLastTimestamp && maxOffset > minOffset ? await this.storeTime(topic, queueId, maxOffset - 1) : 0 };
    }));
  }

  /** Groups with an online consumer or a committed offset, sorted. */
  groupNames(): string[] {
    const names = new Set(this.registry.consumerGroupNames());
    for (const m of this.pops.members()) names.add(m.group);
    for (const c of this.ctx.store.committedOffsets()) names.add(c.group);
    return [...names].sort();
  }

  /**
   * Progress of a group on each queue of the topics it subscribes to or has committed offsets in (its retry
   * topic included), or of `topic` only. Lag is exact: offsets are contiguous in every store.
   */
  async groupProgress(group: string, topic?: string, withLastTimestamp = true): Promise<GroupQueueProgress[]> {
    const topics = topic !== undefined ? [topic] : this.groupTopics(group);
    const rows: GroupQueueProgress[] = [];
    for (const name of topics) {
      const t = this.ctx.store.getTopic(name);
      if (!t) continue;
      for (let queueId = 0; queueId < t.readQueueNums; queueId++) {
        const [brokerOffset, committed] = await Promise.all([this.ctx.store.maxOffset(name, queueId), this.ctx.store.committedOffset(group, name, queueId)]);
        const consumerOffset = Math.max(0, committed ?? 0);
        const lastTimestamp = withLastTimestamp && consumerOffset > (await this.ctx.store.minOffset(name, queueId)) && consumerOffset <= brokerOffset
          ? await this.storeTime(name, queueId, consumerOffset - 1)
          : 0;
        rows.push({ topic: name, queueId, brokerOffset, consumerOffset, lag: Math.max(0, brokerOffset - consumerOffset), lastTimestamp });
      }
    }
    return rows;
  }

  /** Whether anything knows `group`: an online consumer, a committed offset or a declared subscription group config. */
  isKnownGroup(group: string): boolean {
    return this.ctx.store.getSubscriptionGroup(group) !== undefined || this.registry.consumerGroup(group) !== undefined
      || this.pops.members().some((m) => m.group === group) || this.ctx.store.committedOffsets().some((c) => c.group === group);
  }

  /** Groups that subscribe to `topic` or have committed offsets in it, sorted. */
  consumingGroups(topic: string): string[] {
    const names = new Set<string>();
    for (const group of this.registry.consumerGroupNames()) if (this.registry.consumerGroup(group)?.subscriptions.has(topic)) names.add(group);
    for (const m of this.pops.members()) if (m.subscriptions.some((s) => s.topic === topic)) names.add(m.group);
    for (const c of this.ctx.store.committedOffsets()) if (c.topic === topic) names.add(c.group);
    return [...names].sort();
  }

  /**
   * A group's online members and subscriptions: its 4.x clients, and its RocketMQ 5 ones (which consume by pops,
   * CONSUME_POP, as Apache's proxy registers them).
   */
  consumerGroup(group: string): ConsumerGroupInfo | undefined {
    const g = this.registry.consumerGroup(group);
    const popMembers = this.pops.members().filter((m) => m.group === group);
    if (!g && popMembers.length === 0) return undefined;
    const subscriptions = new Map(g?.subscriptions);
    for (const m of popMembers) for (const s of m.subscriptions) if (!subscriptions.has(s.topic)) subscriptions.set(s.topic, s);
    return {
      members: [...(g?.clients.map(clientInfo) ?? []), ...popMembers.map((m) => m.client)],
      subscriptions: [...subscriptions].map(([topic, s]) => ({ topic, expression: s.expression, type: s.type })),
      messageModel: g?.messageModel ?? 'CLUSTERING',
      consumeFromWhere: g?.consumeFromWhere ?? 'CONSUME_FROM_LAST_OFFSET',
      consumeType: g?.consumeType ?? 'CONSUME_POP',
    };
  }

  /** Producer groups with a member online. */
  producerGroups(): string[] {
    return this.registry.producerGroupNames().sort();
  }

  producers(group: string): ClientInfo[] {
    return this.registry.producersOf(group).map(clientInfo);
  }

  /**
   * Commits new offsets for every queue of `topic` (or `target.queueId` only), then tells the group's online clients
   * (RESET_CONSUMER_CLIENT_OFFSET) so that they drop what they hold and do not commit their old positions
   * over the new ones. A time moves each queue to its first message stored at or after it; an offset is
   * clamped into each queue's range.
   */
  async resetOffsets(group: string, topic: string, target: ResetTarget): Promise<ResetResult> {
    const stats = (await this.topicStats(topic, false)).filter((q) => target.queueId === undefined || q.queueId === target.queueId);
    const queues = await Promise.all(stats.map(async (q) => ({
      queueId: q.queueId,
      offset: 'timestamp' in target
        ? await this.ctx.store.offsetForTimestamp(topic, q.queueId, target.timestamp)
        : Math.max(q.minOffset, Math.min(target.offset, q.maxOffset)),
    })));
    for (const q of queues) await this.ctx.store.commitOffset(group, topic, q.queueId, q.offset);
    await this.pops.offsetsReset(group, topic);
    const clients = this.registry.consumerGroup(group)?.clients ?? [];
    const body = fastjsonBody({
      offsetTable: new ObjectKeyMap(queues.map((q) => [{ brokerName: this.ctx.settings.brokerName, queueId: q.queueId, topic }, q.offset] as const)),
    });
    const timestamp = 'timestamp' in target ? target.timestamp : Date.now();
    for (const c of clients) {
      // Clients answer nothing to this request, so it goes one way, as Apache RocketMQ's broker sends it.
      const req = createRequest(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, { topic, group, timestamp: String(timestamp), isForce: 'true' }, body, c.serializeType);
      req.flag |= ONEWAY_FLAG;
      c.connection.send(req);
    }
    this.ctx.log.info({ group, topic, queues: queues.length, notifiedClients: clients.length }, 'consumer offsets reset');
    return { queues, notifiedClients: clients.length };
  }

  /** Messages by key, by id or from an offset; none found is an empty list, an unknown topic TOPIC_NOT_EXIST. */
  async findMessages(q: MessageSearch): Promise<FoundMessage[]> {
    const found = (m: StoredMessage): FoundMessage => ({ message: m, offsetMsgId: createOffsetMsgId(this.ctx.settings.advertisedAddress, m.locator) });
    const lookup = (locator: bigint) => this.ctx.store.lookup(locator);
    if (q.by === 'offset') {
      this.ctx.existingTopic(q.topic);
      const r = await this.ctx.store.read(q.topic, q.queueId, q.offset, q.max, 4 * 1024 * 1024);
      return r.status === 'FOUND' ? r.messages.map(found) : [];
    }
    if (q.by === 'key') {
      this.ctx.existingTopic(q.topic);
      const messages = await this.ctx.keyIndex.query({ topic: q.topic, key: q.key, unique: false, begin: 0, end: Number.MAX_SAFE_INTEGER, max: q.max }, lookup);
      return messages.map(found);
    }
    const offsetId = parseOffsetMsgId(q.msgId);
    if (offsetId) {
      const m = await this.ctx.store.lookup(offsetId.locator);
      if (m && (q.topic === undefined || m.topic === q.topic)) return [found(m)];
    }
    if (q.topic === undefined) {
      // A client msgId of an IPv4 client has the very shape of an offsetMsgId, so not found says both.
      const why = offsetId ? 'no message has this offsetMsgId' : 'it is not an offsetMsgId';
      throw new BrokerError('bad-request', `${why}; to find ${q.msgId} as a client msgId, give its topic`);
    }
    this.ctx.existingTopic(q.topic);
    const messages = await this.ctx.keyIndex.query({ topic: q.topic, key: q.msgId, unique: true, begin: 0, end: Number.MAX_SAFE_INTEGER, max: 1 }, lookup);
    return messages.map(found);
  }

  private groupTopics(group: string): string[] {
    const topics = new Set<string>();
    for (const s of this.consumerGroup(group)?.subscriptions ?? []) topics.add(s.topic);
    for (const c of this.ctx.store.committedOffsets()) if (c.group === group) topics.add(c.topic);
    if (this.ctx.store.getTopic(RETRY_PREFIX + group)) topics.add(RETRY_PREFIX + group);
    return [...topics].sort();
  }

  /** Store time of the message at `offset`, 0 when the queue no longer (or does not yet) hold it. */
  async storeTime(topic: string, queueId: number, offset: number): Promise<number> {
    const r = await this.ctx.store.read(topic, queueId, offset, 1, 1);
    return r.messages[0]?.storeTimestamp ?? 0;
  }
}
