import { CommandType, u64, type BaseCommand, type KeyValue, type MessageIdData, type MessageMetadata } from './pulsar-api.js';
import type { PulsarClient } from './pulsar-client.js';
import type { PulsarConnection, ResourceHandler } from './pulsar-connection.js';
import { ATTACH_BUDGET_MS, PulsarServerError, PulsarConnectionError, worthRetryingAttach } from './errors.js';
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

export interface ProducerOptions {
  producerName?: string;
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
  private timeoutTimer?: NodeJS.Timeout;
  private readonly maxPending: number;
  private readonly sendTimeoutMs: number;

  private constructor(private readonly client: PulsarClient, readonly topic: string, private readonly options: ProducerOptions) {
    this.id = client.newResourceId();
    this.maxPending = options.maxPendingMessages ?? 1000;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 30_000;
  }

  static async create(client: PulsarClient, topic: string, options: ProducerOptions = {}): Promise<PulsarProducer> {
    const p = new PulsarProducer(client, topic, options);
    await retryTransient(() => p.attach(), worthRetryingAttach, ATTACH_BUDGET_MS);
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

  async send(msg: OutgoingMessage): Promise<SendReceipt> {
    if (this.closed) throw new Error(`producer on ${this.topic} is closed`);
    while (this.pendingMessages >= this.maxPending) await new Promise<void>((r) => this.waitingForRoom.push(r));
    if (this.closed) throw new Error(`producer on ${this.topic} is closed`);
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
      ...(msg.key !== undefined ? { partitionKey: msg.key } : {}),
      ...(msg.eventTime ? { eventTime: msg.eventTime } : {}),
      ...(msg.deliverAt ? { deliverAtTime: msg.deliverAt } : {}),
    };
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
    const payload = encodeBatch(batch.map(({ msg, sequenceId }) => ({
      metadata: {
        properties: propertyList(msg.properties),
        sequenceId,
        ...(msg.key !== undefined ? { partitionKey: msg.key } : {}),
        ...(msg.eventTime ? { eventTime: msg.eventTime } : {}),
      },
      payload: msg.payload,
    })));
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
        head.settle.forEach((s, i) => s.resolve({ ...at, batchIndex: batched ? i : -1, entryMessages: head.numMessages, sequenceId: seq + i }));
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
    if (this.closed || this.reconnecting) return;
    this.conn = undefined;
    this.reconnecting = this.reattach().finally(() => { this.reconnecting = undefined; });
  }

  private async reattach(): Promise<void> {
    const backoff = new Backoff(100, 5000);
    while (!this.closed && !this.client.isClosed) {
      try {
        await this.attach();
        for (const p of this.pending) this.write(p);
        return;
      } catch {
        await sleep(backoff.next());
      }
    }
  }

  private async attach(): Promise<void> {
    const conn = await this.client.lookup(this.topic);
    const requestId = conn.newRequestId();
    conn.registerProducer(this.id, this);
    let res: BaseCommand;
    try {
      res = await conn.request({
        type: CommandType.PRODUCER,
        producer: { topic: this.topic, producerId: this.id, requestId, ...(this.producerName ?? this.options.producerName ? { producerName: this.producerName ?? this.options.producerName } : {}) },
      }, requestId);
    } catch (err) {
      conn.unregisterProducer(this.id);
      throw err;
    }
    const ok = res.producerSuccess!;
    this.producerName = ok.producerName;
    for (const p of this.pending) p.metadata.producerName = ok.producerName;
    this.conn = conn;
  }

  private write(p: PendingEntry): void {
    p.metadata.producerName = this.producerName ?? '';
    const send = { producerId: this.id, sequenceId: p.sequenceId, numMessages: p.numMessages, ...(p.numMessages > 1 ? { highestSequenceId: p.sequenceId + p.numMessages - 1 } : {}) };
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
