import { CommandType, u64, type BaseCommand, type KeyValue, type MessageIdData, type MessageMetadata } from './pulsar-api.js';
import type { PulsarClient } from './pulsar-client.js';
import type { PulsarConnection, ResourceHandler } from './pulsar-connection.js';
import { PulsarServerError, PulsarConnectionError } from './errors.js';
import { Backoff, sleep } from './backoff.js';

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
  sequenceId: number;
}

export interface ProducerOptions {
  producerName?: string;
  /** Sends awaiting a receipt before `send` waits for room. */
  maxPendingMessages?: number;
  /** How long a send may wait for a receipt, across reconnects, before it fails. */
  sendTimeoutMs?: number;
}

interface PendingSend {
  sequenceId: number;
  metadata: MessageMetadata;
  payload: Buffer;
  resolve(r: SendReceipt): void;
  reject(e: Error): void;
  deadline: number;
}

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
  private readonly pending: PendingSend[] = [];
  private readonly waitingForRoom: Array<() => void> = [];
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
    await p.attach();
    p.timeoutTimer = setInterval(() => p.expireSends(), 1000);
    p.timeoutTimer.unref();
    return p;
  }

  get name(): string | undefined {
    return this.producerName;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  async send(msg: OutgoingMessage): Promise<SendReceipt> {
    if (this.closed) throw new Error(`producer on ${this.topic} is closed`);
    while (this.pending.length >= this.maxPending) await new Promise<void>((r) => this.waitingForRoom.push(r));
    const sequenceId = this.nextSequenceId++;
    const now = Date.now();
    const properties: KeyValue[] = [];
    if (msg.properties) for (const [key, value] of Object.entries(msg.properties)) properties.push({ key, value });
    const metadata: MessageMetadata = {
      producerName: this.producerName ?? '',
      sequenceId,
      publishTime: now,
      properties,
      ...(msg.key !== undefined ? { partitionKey: msg.key } : {}),
      ...(msg.eventTime ? { eventTime: msg.eventTime } : {}),
      ...(msg.deliverAt ? { deliverAtTime: msg.deliverAt } : {}),
    };
    return new Promise<SendReceipt>((resolve, reject) => {
      const p: PendingSend = { sequenceId, metadata, payload: msg.payload, resolve, reject, deadline: now + this.sendTimeoutMs };
      this.pending.push(p);
      if (this.conn?.isOpen && !this.reconnecting) this.write(p);
    });
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
        // Receipts arrive in send order; anything older than this one was already settled or resent.
        while (this.pending.length && this.pending[0]!.sequenceId < seq) this.pending.shift();
        const head = this.pending[0];
        if (head?.sequenceId !== seq) return;
        this.pending.shift();
        const id: MessageIdData | undefined = r.messageId;
        head.resolve({ ledgerId: u64(id?.ledgerId), entryId: u64(id?.entryId), partition: id?.partition ?? -1, sequenceId: seq });
        this.waitingForRoom.shift()?.();
        return;
      }
      case CommandType.SEND_ERROR: {
        const e = cmd.sendError!;
        // The broker closes the producer after a send error; re-attach and resend everything pending.
        if (e.error === 9 /* ChecksumError */ || e.error === 15 /* TopicTerminated */) {
          const head = this.pending.find((p) => p.sequenceId === u64(e.sequenceId));
          if (head) {
            this.pending.splice(this.pending.indexOf(head), 1);
            head.reject(new PulsarServerError(e.error, e.message));
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

  private write(p: PendingSend): void {
    p.metadata.producerName = this.producerName ?? '';
    this.conn!.sendPayload({ type: CommandType.SEND, send: { producerId: this.id, sequenceId: p.sequenceId, numMessages: 1 } }, p.metadata, p.payload);
  }

  private expireSends(): void {
    const now = Date.now();
    while (this.pending.length && this.pending[0]!.deadline < now) {
      const p = this.pending.shift()!;
      p.reject(new PulsarConnectionError(`send to ${this.topic} not acknowledged within ${this.sendTimeoutMs} ms`));
      this.waitingForRoom.shift()?.();
    }
  }

  private failAll(err: Error): void {
    for (const p of this.pending.splice(0)) p.reject(err);
    for (const w of this.waitingForRoom.splice(0)) w();
  }
}
