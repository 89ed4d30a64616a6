import { inflateSync } from 'node:zlib';
import {
  AckType, CommandType, InitialPosition, SubType, u64,
  type BaseCommand, type KeyValue, type MessageIdData, type U64,
} from './pulsar-api.js';
import type { PulsarClient } from './pulsar-client.js';
import type { PulsarConnection, ResourceHandler } from './pulsar-connection.js';
import type { PayloadFrame } from './frame-codec.js';
import { decodeBatch } from './batch-codec.js';
import { PulsarFrameError } from './frame-codec.js';
import { Backoff, retryTransient, sleep } from './backoff.js';
import { ATTACH_BUDGET_MS, worthRetryingAttach } from './errors.js';

export interface MessageId {
  ledgerId: number;
  entryId: number;
  partition: number;
  /** -1 for a message that was not batched. */
  batchIndex: number;
}

export interface ReceivedMessage {
  id: MessageId;
  /** Broker entry index of this message (contiguous per topic partition), when the broker exposes it. */
  index?: number;
  brokerTimestamp?: number;
  publishTime: number;
  eventTime: number;
  properties: Map<string, string>;
  key?: string;
  payload: Buffer;
  redeliveryCount: number;
  producerName: string;
  /** Messages in the entry this one came in (1 when it was sent on its own). */
  entryMessages: number;
}

export type SubscriptionType = keyof typeof SubType;

export interface ConsumerOptions {
  subscription: string;
  subType?: SubscriptionType;
  /** false: a reader (non-durable cursor) that the broker forgets when it leaves. */
  durable?: boolean;
  /** Where a new subscription or reader starts: a message id, or earliest/latest. */
  startMessageId?: MessageId | 'earliest' | 'latest';
  consumerName?: string;
  /** A reader given a message id starts at that message rather than after it. */
  startInclusive?: boolean;
  /** Read a compacted topic's compacted view (latest value per key) before its tail. */
  readCompacted?: boolean;
  /** Messages the broker may push ahead of `receive` calls. */
  receiverQueueSize?: number;
  /**
   * Failover subscriptions: called each time `active` changes, that is when the broker makes this consumer the
   * subscription's active one or takes that away, and with false when the connection drops or the consumer closes.
   */
  onActiveChange?: (active: boolean) => void;
}

export const EARLIEST_ID: MessageId = { ledgerId: Number.MAX_SAFE_INTEGER, entryId: Number.MAX_SAFE_INTEGER, partition: -1, batchIndex: -1 };

const CompressionType = { NONE: 0, ZLIB: 2 } as const;

const toIdData = (id: MessageId): MessageIdData => ({ ledgerId: id.ledgerId, entryId: id.entryId, partition: id.partition, batchIndex: id.batchIndex });

/** Orders message ids as the broker does: ledger, entry, then position inside a batch. */
export function compareMessageIds(a: MessageId, b: MessageId): number {
  return a.ledgerId - b.ledgerId || a.entryId - b.entryId || a.batchIndex - b.batchIndex;
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function propertiesOf(kvs: KeyValue[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of kvs ?? []) m.set(kv.key, kv.value);
  return m;
}

/**
 * A consumer (durable subscription) or reader (non-durable) on one topic or partition.
 * Messages are buffered up to `receiverQueueSize` and handed out by `receive`; permits are
 * returned to the broker as the buffer drains. On a lost connection it re-subscribes with backoff;
 * a reader resumes after the last message it handed out, so nothing is skipped or repeated.
 */
export class PulsarConsumer implements ResourceHandler {
  private conn?: PulsarConnection;
  private readonly id: number;
  private readonly queue: ReceivedMessage[] = [];
  private waiter?: () => void;
  private permitsToReturn = 0;
  private lastDelivered?: MessageId;
  /** Where a reader was sought to: its re-subscribe after the seek starts there, not at its first start position. */
  private soughtTo?: MessageId;
  private reconnecting?: Promise<void>;
  private closed = false;
  private endOfTopic = false;
  private isActive?: boolean;
  private readonly receiverQueueSize: number;

  private constructor(private readonly client: PulsarClient, readonly topic: string, private readonly options: ConsumerOptions) {
    this.id = client.newResourceId();
    this.receiverQueueSize = options.receiverQueueSize ?? 1000;
  }

  static async subscribe(client: PulsarClient, topic: string, options: ConsumerOptions): Promise<PulsarConsumer> {
    const c = new PulsarConsumer(client, topic, options);
    await retryTransient(() => c.attach(), worthRetryingAttach, ATTACH_BUDGET_MS);
    return c;
  }

  get reachedEndOfTopic(): boolean {
    return this.endOfTopic;
  }

  /**
   * Whether the broker dispatches this Failover subscription's messages to this consumer: undefined until the
   * broker has said (and always for other subscription types), false while detached — a consumer that lost its
   * connection cannot know whether the broker has handed its place to another consumer.
   */
  get active(): boolean | undefined {
    return this.isActive;
  }

  /** Up to `max` buffered messages; waits up to `timeoutMs` for the first one. */
  async receive(max: number, timeoutMs: number): Promise<ReceivedMessage[]> {
    if (this.queue.length === 0 && timeoutMs > 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { this.waiter = undefined; resolve(); }, timeoutMs);
        this.waiter = () => { clearTimeout(timer); this.waiter = undefined; resolve(); };
      });
    }
    const out = this.queue.splice(0, max);
    if (out.length) {
      this.lastDelivered = out[out.length - 1]!.id;
      this.returnPermits(out.length);
    }
    return out;
  }

  /** Messages already buffered, without waiting. */
  get buffered(): number {
    return this.queue.length;
  }

  async ack(id: MessageId, cumulative = false): Promise<void> {
    this.conn?.send({ type: CommandType.ACK, ack: { consumerId: this.id, ackType: cumulative ? AckType.Cumulative : AckType.Individual, messageId: [toIdData(id)] } });
  }

  /** Repositions the cursor; buffered messages are dropped and delivery restarts from `id`. */
  async seek(id: MessageId): Promise<void> {
    const conn = this.requireConnection();
    const requestId = conn.newRequestId();
    this.queue.length = 0;
    this.soughtTo = id;
    this.lastDelivered = undefined;
    await conn.request({ type: CommandType.SEEK, seek: { consumerId: this.id, requestId, messageId: toIdData(id) } }, requestId);
    // The broker disconnects the consumer after a seek; the re-subscribe starts at the new position (a reader's
    // cursor goes with its consumer, so the reader names the position again).
    this.queue.length = 0;
  }

  async lastMessageId(): Promise<{ id: MessageId; markDelete?: MessageId }> {
    const conn = this.requireConnection();
    const requestId = conn.newRequestId();
    const res = await conn.request({ type: CommandType.GET_LAST_MESSAGE_ID, getLastMessageId: { consumerId: this.id, requestId } }, requestId);
    const r = res.getLastMessageIdResponse!;
    const toId = (d: MessageIdData): MessageId => ({ ledgerId: u64(d.ledgerId), entryId: u64(d.entryId), partition: d.partition ?? -1, batchIndex: d.batchIndex ?? -1 });
    return { id: toId(r.lastMessageId), ...(r.consumerMarkDeletePosition ? { markDelete: toId(r.consumerMarkDeletePosition) } : {}) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waiter?.();
    this.setActive(false);
    const conn = this.conn;
    if (conn?.isOpen) {
      const requestId = conn.newRequestId();
      await conn.request({ type: CommandType.CLOSE_CONSUMER, closeConsumer: { consumerId: this.id, requestId } }, requestId, 5000).catch(() => undefined);
      conn.unregisterConsumer(this.id);
    }
  }

  onCommand(cmd: BaseCommand, payload?: PayloadFrame): void {
    switch (cmd.type) {
      case CommandType.MESSAGE:
        if (payload) this.onMessage(cmd, payload);
        return;
      case CommandType.REACHED_END_OF_TOPIC:
        this.endOfTopic = true;
        this.waiter?.();
        return;
      case CommandType.ACTIVE_CONSUMER_CHANGE:
        if (!this.closed) this.setActive(cmd.activeConsumerChange!.isActive ?? false);
        return;
      case CommandType.CLOSE_CONSUMER:
      case CommandType.TOPIC_MIGRATED:
        this.conn?.unregisterConsumer(this.id);
        this.onConnectionClosed();
        return;
    }
  }

  onConnectionClosed(): void {
    this.setActive(false);
    // Until the first subscribe succeeds (no connection yet), `subscribe` does its own retrying.
    if (this.closed || this.reconnecting || !this.conn) return;
    this.conn = undefined;
    this.reconnecting = this.reattach().finally(() => { this.reconnecting = undefined; });
  }

  private onMessage(cmd: BaseCommand, frame: PayloadFrame): void {
    const m = cmd.message!;
    const meta = frame.metadata;
    const base = { ledgerId: u64(m.messageId.ledgerId), entryId: u64(m.messageId.entryId), partition: m.messageId.partition ?? -1 };
    const entryIndex = frame.brokerEntryMetadata && hasOwn(frame.brokerEntryMetadata, 'index') ? u64(frame.brokerEntryMetadata.index) : undefined;
    const brokerTimestamp = frame.brokerEntryMetadata && hasOwn(frame.brokerEntryMetadata, 'brokerTimestamp') ? u64(frame.brokerEntryMetadata.brokerTimestamp) : undefined;
    let payload = frame.payload;
    if (!frame.checksumValid) throw new PulsarFrameError(`checksum mismatch on ${this.topic} ${base.ledgerId}:${base.entryId}`);
    if (meta.compression === CompressionType.ZLIB) payload = inflateSync(payload);
    else if (meta.compression && meta.compression !== CompressionType.NONE) {
      throw new PulsarFrameError(`compression type ${meta.compression} on ${this.topic} is not supported`);
    }
    const batched = hasOwn(meta, 'numMessagesInBatch');
    const entryMessages = batched ? (meta.numMessagesInBatch ?? 1) : 1;
    const publishTime = u64(meta.publishTime);
    const redeliveryCount = m.redeliveryCount ?? 0;
    // A reader re-subscribed after a drop may get a whole batch entry again; skip what it already handed out. Until
    // it hands one out after a seek, what precedes the position sought is skipped too: a delivery racing the seek's
    // disconnect must not pass for its first message.
    const reader = this.options.durable === false;
    const after = reader ? this.lastDelivered : undefined;
    const from = reader && !after ? this.soughtTo : undefined;
    // Each message is built field by field: an object spread costs microseconds a message on this path.
    const deliver = (batchIndex: number, index: number | undefined, eventTime: U64 | undefined, properties: KeyValue[] | undefined, key: string | undefined, body: Buffer): void => {
      const id: MessageId = { ledgerId: base.ledgerId, entryId: base.entryId, partition: base.partition, batchIndex };
      if ((after && compareMessageIds(id, after) <= 0) || (from && compareMessageIds(id, from) < 0)) return;
      this.queue.push({
        id, index, brokerTimestamp, publishTime, eventTime: u64(eventTime), properties: propertiesOf(properties), key, payload: body,
        redeliveryCount, producerName: meta.producerName, entryMessages,
      });
    };
    if (!batched) {
      deliver(-1, entryIndex, meta.eventTime, meta.properties, meta.partitionKey, payload);
    } else {
      // The entry index belongs to the batch's last message; earlier ones count back from it.
      const n = entryMessages;
      const entries = decodeBatch(payload, n);
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        if (e.metadata.compactedOut) continue;
        deliver(i, entryIndex === undefined ? undefined : entryIndex - (n - 1) + i, e.metadata.eventTime, e.metadata.properties, e.metadata.partitionKey, e.payload);
      }
    }
    this.waiter?.();
  }

  private setActive(active: boolean): void {
    // The broker tells only Failover consumers whether they are active.
    if (this.options.subType !== 'Failover' || this.isActive === active) return;
    this.isActive = active;
    this.options.onActiveChange?.(active);
  }

  private returnPermits(n: number): void {
    this.permitsToReturn += n;
    if (this.permitsToReturn >= this.receiverQueueSize / 2 && this.conn) {
      this.conn.send({ type: CommandType.FLOW, flow: { consumerId: this.id, messagePermits: this.permitsToReturn } });
      this.permitsToReturn = 0;
    }
  }

  private requireConnection(): PulsarConnection {
    if (!this.conn?.isOpen) throw new Error(`consumer on ${this.topic} is reconnecting`);
    return this.conn;
  }

  private async reattach(): Promise<void> {
    const backoff = new Backoff(100, 5000);
    while (!this.closed && !this.client.isClosed) {
      try {
        await this.attach();
        return;
      } catch {
        await sleep(backoff.next());
      }
    }
  }

  private async attach(): Promise<void> {
    const conn = await this.client.lookup(this.topic);
    const requestId = conn.newRequestId();
    const o = this.options;
    const durable = o.durable ?? true;
    // A reader resumes after what it handed out; buffered but undelivered messages will come again.
    this.queue.length = 0;
    let start: MessageId | undefined;
    if (!durable && this.lastDelivered) start = this.lastDelivered;
    else if (!durable && this.soughtTo) start = { ...this.soughtTo, batchIndex: Math.max(0, this.soughtTo.batchIndex) };
    else if (!durable && typeof o.startMessageId === 'object') {
      // The broker starts a reader after the given entry unless the id points into a batch, in which case
      // it starts at that entry (the client skips what precedes the batch index).
      start = o.startInclusive ? { ...o.startMessageId, batchIndex: Math.max(0, o.startMessageId.batchIndex) } : o.startMessageId;
    }
    conn.registerConsumer(this.id, this);
    try {
      await conn.request({
        type: CommandType.SUBSCRIBE,
        subscribe: {
          topic: this.topic, subscription: o.subscription, subType: SubType[o.subType ?? 'Exclusive'],
          consumerId: this.id, requestId, consumerName: o.consumerName ?? `rop-${this.id}`, durable,
          ...(start ? { startMessageId: toIdData(start) } : {}),
          ...(o.readCompacted ? { readCompacted: true } : {}),
          initialPosition: o.startMessageId === 'earliest' ? InitialPosition.Earliest : InitialPosition.Latest,
        },
      }, requestId);
    } catch (err) {
      conn.unregisterConsumer(this.id);
      throw err;
    }
    if (this.closed) {
      // Closed while re-subscribing: leave rather than keep a place, maybe the active one, in the subscription.
      conn.unregisterConsumer(this.id);
      const closeId = conn.newRequestId();
      await conn.request({ type: CommandType.CLOSE_CONSUMER, closeConsumer: { consumerId: this.id, requestId: closeId } }, closeId, 5000).catch(() => undefined);
      return;
    }
    this.conn = conn;
    this.permitsToReturn = 0;
    conn.send({ type: CommandType.FLOW, flow: { consumerId: this.id, messagePermits: this.receiverQueueSize } });
  }
}
