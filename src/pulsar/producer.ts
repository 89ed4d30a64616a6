import { CommandType, ProducerAccessMode, u64, type BaseCommand, type KeyValue, type MessageIdData, type MessageMetadata, type SingleMessageMetadata } from './pulsar-api.js';
import type { PulsarClient } from './pulsar-client.js';
import type { PulsarConnection, ResourceHandler } from './pulsar-connection.js';
import { ATTACH_BUDGET_MS, PulsarServerError, PulsarConnectionError, PulsarProducerFencedError, worthRetryingAttach } from './errors.js';
import { Backoff, retryTransient, sleep } from './backoff.js';
import { encodeBatch } from './batch-codec.js';

export interface OutgoingMessage {
  payload: Buffer;
  properties?: Record<string, string>;
  /** Pulsar partition key (routing and compaction key). */
  key?: string;
  eventTime?: number;
  /** Absolute delivery time in ms (Pulsar delayed delivery, Shared subscriptions only). */
  deliverAt?: number;
}

export interface SendReceipt {
  ledgerId: number;
  entryId: number;
  partition: number;
  /** Position inside the batch entry, or -1 when the message was sent on its own. */
  batchIndex: number;
  /** Messages in the entry (1 for a message sent on its own). */
  entryMessages: number;
  sequenceId: number;
}

export interface BatchingOptions {
  maxMessages: number;
  maxBytes: number;
}

/** PIP-68 access modes; see ProducerOptions.accessMode. */
export type ProducerAccessModeName = keyof typeof ProducerAccessMode;

export interface ProducerOptions {
  producerName?: string;
  /**
   * Who else may publish (default Shared: anyone not exclusive). Exclusive: `create` fails with the broker's
   * ProducerFenced while another producer is on the topic. WaitForExclusive: `create` waits in the broker's
   * queue until the topic is free (bound the wait with `signal`). ExclusiveWithFencing: takes the topic,
   * fencing the producers on it. An exclusive producer that loses the topic is fenced for good (`onFenced`).
   */
  accessMode?: ProducerAccessModeName;
  /** Abandons `create`, also while it waits for exclusive access; AbortSignal.timeout(ms) gives it a deadline. */
  signal?: AbortSignal;
  /** Called once when an exclusive producer finds another producer took its topic; sends fail with `err` from then on. */
  onFenced?: (err: PulsarProducerFencedError) => void;
  /** Messages awaiting a receipt before `send` waits for room. */
  maxPendingMessages?: number;
  /** How long a send may wait for a receipt, across reconnects, before it fails. */
  sendTimeoutMs?: number;
  /**
   * Messages sent in the same turn of the event loop go out as one batch entry, up to these limits:
   * batching costs no added latency, and concurrent senders share one write and one receipt.
   */
  batching?: BatchingOptions;
}

interface Settle {
  resolve(r: SendReceipt): void;
  reject(e: Error): void;
}

/** One entry on the wire: a single message, or a batch of them under consecutive sequence ids. */
interface PendingEntry {
  sequenceId: number;
  numMessages: number;
  metadata: MessageMetadata;
  payload: Buffer;
  /** One per message, in batch order. */
  settle: Settle[];
  deadline: number;
}

interface Batched extends Settle {
  msg: OutgoingMessage;
  sequenceId: number;
}

const SERVER_ERROR = { ProducerBusy: 16, ProducerFenced: 25 } as const;

const propertyList = (props: Record<string, string> | undefined): KeyValue[] =>
  props ? Object.entries(props).map(([key, value]) => ({ key, value })) : [];

/**
 * A producer on one topic (or one partition). Sends are written in order and resolve on the broker's
 * receipt, which Pulsar gives only once the entry is persisted. When the connection drops, the producer
 * re-looks-up its topic with backoff, re-attaches and resends what was not acknowledged, in order.
 */
export class PulsarProducer implements ResourceHandler {
  private conn?: PulsarConnection;
  private readonly id: number;
  private producerName?: string;
  private nextSequenceId = 0;
  private readonly pending: PendingEntry[] = [];
  /** Messages accepted and not yet settled, batched or in flight. */
  private pendingMessages = 0;
  private readonly waitingForRoom: Array<() => void> = [];
  private batch: Batched[] = [];
  private batchBytes = 0;
  private batchScheduled = false;
  private reconnecting?: Promise<void>;
  private closed = false;
  private fencedBy?: PulsarProducerFencedError;
  /** Assigned by the broker to an exclusive producer; re-attaching with it fails once another producer held the topic. */
  private topicEpoch?: number;
  /** The broker queued the latest attach for exclusive access, so it was reachable then. */
  private queued = false;
  /** Aborted by `close`, so that an attach under way stops and leaves the topic. */
  private readonly lifetime = new AbortController();
  private timeoutTimer?: NodeJS.Timeout;
  private readonly maxPending: number;
  private readonly sendTimeoutMs: number;
  private readonly exclusive: boolean;

  private constructor(private readonly client: PulsarClient, readonly topic: string, private readonly options: ProducerOptions) {
    this.id = client.newResourceId();
    this.maxPending = options.maxPendingMessages ?? 1000;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 30_000;
    this.exclusive = (options.accessMode ?? 'Shared') !== 'Shared';
  }

  static async create(client: PulsarClient, topic: string, options: ProducerOptions = {}): Promise<PulsarProducer> {
    const p = new PulsarProducer(client, topic, options);
    const mode = ProducerAccessMode[options.accessMode ?? 'Shared'];
    for (;;) {
      p.queued = false;
      try {
        await retryTransient(() => p.attach(mode, options.signal), worthRetryingAttach, ATTACH_BUDGET_MS, options.signal);
        break;
      } catch (err) {
        // A wait in the broker's queue may outlast the retry budget many times over; a connection lost after
        // the broker queued us gets a fresh budget to queue again.
        if (!p.queued || !worthRetryingAttach(err)) throw err;
      }
    }
    p.timeoutTimer = setInterval(() => p.expireSends(), 1000);
    p.timeoutTimer.unref();
    return p;
  }

  get name(): string | undefined {
    return this.producerName;
  }

  get pendingCount(): number {
    return this.pendingMessages;
  }

  /** Set once an exclusive producer lost its topic to another producer. */
  get fenced(): PulsarProducerFencedError | undefined {
    return this.fencedBy;
  }

  async send(msg: OutgoingMessage): Promise<SendReceipt> {
    if (this.closed) throw this.fencedBy ?? new Error(`producer on ${this.topic} is closed`);
    while (this.pendingMessages >= this.maxPending) await new Promise<void>((r) => this.waitingForRoom.push(r));
    if (this.closed) throw this.fencedBy ?? new Error(`producer on ${this.topic} is closed`);
    this.pendingMessages++;
    const sequenceId = this.nextSequenceId++;
    return new Promise<SendReceipt>((resolve, reject) => {
      const limits = this.options.batching;
      // Delayed delivery is per entry in Pulsar, so such a message travels alone.
      if (!limits || msg.deliverAt) {
        this.flushBatch();
        this.enqueue(this.singleEntry(msg, sequenceId, { resolve, reject }));
        return;
      }
      this.batch.push({ msg, sequenceId, resolve, reject });
      this.batchBytes += msg.payload.length;
      if (this.batch.length >= limits.maxMessages || this.batchBytes >= limits.maxBytes) this.flushBatch();
      else if (!this.batchScheduled) {
        this.batchScheduled = true;
        setImmediate(() => this.flushBatch());
      }
    });
  }

  private singleEntry(msg: OutgoingMessage, sequenceId: number, settle: Settle): PendingEntry {
    const metadata: MessageMetadata = {
      producerName: this.producerName ?? '',
      sequenceId,
      publishTime: Date.now(),
      properties: propertyList(msg.properties),
    };
    if (msg.key !== undefined) metadata.partitionKey = msg.key;
    if (msg.eventTime) metadata.eventTime = msg.eventTime;
    if (msg.deliverAt) metadata.deliverAtTime = msg.deliverAt;
    return { sequenceId, numMessages: 1, metadata, payload: msg.payload, settle: [settle], deadline: Date.now() + this.sendTimeoutMs };
  }

  private flushBatch(): void {
    this.batchScheduled = false;
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    this.batchBytes = 0;
    if (batch.length === 1) {
      const [b] = batch as [Batched];
      this.enqueue(this.singleEntry(b.msg, b.sequenceId, b));
      return;
    }
    const first = batch[0]!.sequenceId;
    const payload = encodeBatch(batch.map(({ msg, sequenceId }) => {
      // Built field by field: an object spread costs microseconds a message here.
      const metadata: SingleMessageMetadata = { properties: propertyList(msg.properties), sequenceId, payloadSize: 0 };
      if (msg.key !== undefined) metadata.partitionKey = msg.key;
      if (msg.eventTime) metadata.eventTime = msg.eventTime;
      return { metadata, payload: msg.payload };
    }));
    const metadata: MessageMetadata = {
      producerName: this.producerName ?? '',
      sequenceId: first,
      highestSequenceId: first + batch.length - 1,
      publishTime: Date.now(),
      properties: [],
      numMessagesInBatch: batch.length,
    };
    this.enqueue({ sequenceId: first, numMessages: batch.length, metadata, payload, settle: batch, deadline: Date.now() + this.sendTimeoutMs });
  }

  private enqueue(entry: PendingEntry): void {
    this.pending.push(entry);
    if (this.conn?.isOpen && !this.reconnecting) this.write(entry);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lifetime.abort(new Error(`producer on ${this.topic} closed`));
    clearInterval(this.timeoutTimer);
    const conn = this.conn;
    if (conn?.isOpen) {
      const requestId = conn.newRequestId();
      await conn.request({ type: CommandType.CLOSE_PRODUCER, closeProducer: { producerId: this.id, requestId } }, requestId, 5000).catch(() => undefined);
      conn.unregisterProducer(this.id);
    }
    this.failAll(new Error(`producer on ${this.topic} closed`));
  }

  onCommand(cmd: BaseCommand): void {
    switch (cmd.type) {
      case CommandType.SEND_RECEIPT: {
        const r = cmd.sendReceipt!;
        const seq = u64(r.sequenceId);
        // Receipts arrive in send order; a receipt for an entry not at the head is a stale duplicate.
        const head = this.pending[0];
        if (head?.sequenceId !== seq) return;
        this.pending.shift();
        const id: MessageIdData | undefined = r.messageId;
        const at = { ledgerId: u64(id?.ledgerId), entryId: u64(id?.entryId), partition: id?.partition ?? -1 };
        const batched = head.numMessages > 1;
        head.settle.forEach((s, i) => s.resolve({
          ledgerId: at.ledgerId, entryId: at.entryId, partition: at.partition, batchIndex: batched ? i : -1, entryMessages: head.numMessages, sequenceId: seq + i,
        }));
        this.released(head.numMessages);
        return;
      }
      case CommandType.SEND_ERROR: {
        const e = cmd.sendError!;
        // The broker closes the producer after a send error; re-attach and resend everything pending.
        if (e.error === 9 /* ChecksumError */ || e.error === 15 /* TopicTerminated */) {
          const failed = this.pending.find((p) => p.sequenceId === u64(e.sequenceId));
          if (failed) {
            this.pending.splice(this.pending.indexOf(failed), 1);
            for (const s of failed.settle) s.reject(new PulsarServerError(e.error, e.message));
            this.released(failed.numMessages);
          }
        }
        this.onConnectionClosed();
        return;
      }
      case CommandType.CLOSE_PRODUCER:
      case CommandType.TOPIC_MIGRATED:
        this.conn?.unregisterProducer(this.id);
        this.onConnectionClosed();
        return;
    }
  }

  onConnectionClosed(): void {
    // Until the first attach succeeds (no connection yet), `create` does its own retrying.
    if (this.closed || this.reconnecting || !this.conn) return;
    this.conn = undefined;
    this.reconnecting = this.reattach().finally(() => { this.reconnecting = undefined; });
  }

  private async reattach(): Promise<void> {
    const backoff = new Backoff(100, 5000);
    // An exclusive producer comes back only if no other producer held the topic meanwhile: Exclusive with its
    // topic epoch is refused then, whereas the broker promotes a queued WaitForExclusive producer without
    // checking its epoch, and fencing would evict the new holder before the broker refused us.
    const mode = this.exclusive ? ProducerAccessMode.Exclusive : ProducerAccessMode.Shared;
    while (!this.closed && !this.client.isClosed) {
      try {
        await this.attach(mode, this.lifetime.signal);
        for (const p of this.pending) this.write(p);
        return;
      } catch (err) {
        // Refused because the topic is someone else's; even our own stale session still holding it cannot
        // be told apart from another producer, so the topic is given up either way.
        if (this.exclusive && err instanceof PulsarServerError && (err.code === SERVER_ERROR.ProducerBusy || err.code === SERVER_ERROR.ProducerFenced)) {
          this.fence(err);
          return;
        }
        await sleep(backoff.next());
      }
    }
  }

  private fence(cause: PulsarServerError): void {
    this.fencedBy = new PulsarProducerFencedError(this.topic, cause);
    this.closed = true;
    clearInterval(this.timeoutTimer);
    this.failAll(this.fencedBy);
    this.options.onFenced?.(this.fencedBy);
  }

  private async attach(mode: number, signal?: AbortSignal): Promise<void> {
    const conn = await this.client.lookup(this.topic);
    signal?.throwIfAborted();
    const requestId = conn.newRequestId();
    const name = this.producerName ?? this.options.producerName;
    const abandon = (): void => {
      conn.abandon(requestId, signal!.reason as Error);
      // Also takes us out of the broker's queue for exclusive access, or off the topic if we just got it.
      conn.send({ type: CommandType.CLOSE_PRODUCER, closeProducer: { producerId: this.id, requestId: conn.newRequestId() } });
    };
    conn.registerProducer(this.id, this);
    signal?.addEventListener('abort', abandon);
    let res: BaseCommand;
    try {
      res = await conn.request({
        type: CommandType.PRODUCER,
        producer: {
          topic: this.topic, producerId: this.id, requestId, ...(name ? { producerName: name } : {}),
          ...(mode !== ProducerAccessMode.Shared ? { producerAccessMode: mode } : {}),
          ...(this.topicEpoch !== undefined ? { topicEpoch: this.topicEpoch } : {}),
        },
      }, requestId, undefined, () => { this.queued = true; });
      // The answer may have arrived just before an abort that already sent the close.
      signal?.throwIfAborted();
    } catch (err) {
      conn.unregisterProducer(this.id);
      throw err;
    } finally {
      signal?.removeEventListener('abort', abandon);
    }
    const ok = res.producerSuccess!;
    // Decoded messages read 0 for absent fields, and re-attaching with a made-up epoch 0 would fence us.
    if (this.exclusive && Object.prototype.hasOwnProperty.call(ok, 'topicEpoch')) this.topicEpoch = u64(ok.topicEpoch);
    this.producerName = ok.producerName;
    for (const p of this.pending) p.metadata.producerName = ok.producerName;
    this.conn = conn;
  }

  private write(p: PendingEntry): void {
    p.metadata.producerName = this.producerName ?? '';
    const send: NonNullable<BaseCommand['send']> = { producerId: this.id, sequenceId: p.sequenceId, numMessages: p.numMessages };
    if (p.numMessages > 1) send.highestSequenceId = p.sequenceId + p.numMessages - 1;
    this.conn!.sendPayload({ type: CommandType.SEND, send }, p.metadata, p.payload);
  }

  private released(messages: number): void {
    this.pendingMessages -= messages;
    for (let i = 0; i < messages; i++) this.waitingForRoom.shift()?.();
  }

  private expireSends(): void {
    const now = Date.now();
    while (this.pending.length && this.pending[0]!.deadline < now) {
      const p = this.pending.shift()!;
      for (const s of p.settle) s.reject(new PulsarConnectionError(`send to ${this.topic} not acknowledged within ${this.sendTimeoutMs} ms`));
      this.released(p.numMessages);
    }
  }

  private failAll(err: Error): void {
    const batch = this.batch.splice(0);
    this.batchBytes = 0;
    for (const b of batch) b.reject(err);
    for (const p of this.pending.splice(0)) for (const s of p.settle) s.reject(err);
    this.pendingMessages = 0;
    for (const w of this.waitingForRoom.splice(0)) w();
  }
}
