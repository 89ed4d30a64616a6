import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logger.js';
import type { PulsarClient } from '../../pulsar/pulsar-client.js';
import { PulsarProducer } from '../../pulsar/producer.js';
import { PulsarConsumer, compareMessageIds, type ReceivedMessage } from '../../pulsar/consumer.js';

export interface SystemTableOptions {
  /** Writes wait this long to be coalesced (latest value per key wins); 0 writes at once. */
  writeBehindMs: number;
  /** told how long each write of pending changes took */
  onFlushed?: (durationMs: number) => void;
}

/**
 * A key → JSON value table kept in a compacted Pulsar topic: the message key is the table key and an
 * empty payload deletes it. Opening reads the compacted view up to the last message; afterwards the
 * table keeps tailing the topic, so gateways sharing a cluster see each other's writes.
 */
export class SystemTable<V> {
  private readonly values = new Map<string, V>();
  private readonly dirty = new Map<string, V | undefined>();
  private producer?: PulsarProducer;
  private reader?: PulsarConsumer;
  private flushTimer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private tailing?: Promise<void>;
  private closed = false;

  constructor(
    private readonly client: PulsarClient,
    readonly topic: string,
    private readonly options: SystemTableOptions,
    private readonly log: Logger,
  ) {}

  async open(): Promise<void> {
    this.producer = await PulsarProducer.create(this.client, this.topic);
    this.reader = await PulsarConsumer.subscribe(this.client, this.topic, {
      subscription: `rop-table-${randomUUID()}`, durable: false, startMessageId: 'earliest', readCompacted: true, receiverQueueSize: 1000,
    });
    const { id: last } = await this.reader.lastMessageId();
    if (last.ledgerId >= 0 && last.entryId >= 0) {
      for (let caughtUp = false; !caughtUp;) {
        const batch = await this.reader.receive(1000, 10_000);
        if (batch.length === 0) throw new Error(`reading ${this.topic} stalled before its last message`);
        for (const m of batch) {
          this.apply(m);
          if (compareMessageIds({ ...m.id, batchIndex: -1 }, { ...last, batchIndex: -1 }) >= 0) caughtUp = true;
        }
      }
    }
    this.tailing = this.tail();
    if (this.options.writeBehindMs > 0) {
      this.flushTimer = setInterval(() => void this.flush().catch((err) => this.log.warn({ err, topic: this.topic }, 'system table write failed; will retry')), this.options.writeBehindMs);
      this.flushTimer.unref();
    }
  }

  get(key: string): V | undefined {
    return this.values.get(key);
  }

  entries(): IterableIterator<[string, V]> {
    return this.values.entries();
  }

  /** Sets `key`; with write-behind it is persisted by the next flush, otherwise before this resolves. */
  async set(key: string, value: V | undefined): Promise<void> {
    if (value === undefined) this.values.delete(key);
    else this.values.set(key, value);
    this.dirty.set(key, value);
    if (this.options.writeBehindMs === 0) await this.flush();
  }

  /** Writes every pending change; resolves once all are persisted. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.dirty.size === 0 || !this.producer) return;
      const batch = [...this.dirty];
      this.dirty.clear();
      const started = performance.now();
      try {
        await Promise.all(batch.map(([key, value]) =>
          this.producer!.send({ key, payload: value === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(value)) })));
        this.options.onFlushed?.(performance.now() - started);
      } catch (err) {
        // Put back what failed unless a newer value replaced it meanwhile.
        for (const [key, value] of batch) if (!this.dirty.has(key)) this.dirty.set(key, value);
        throw err;
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.flushTimer);
    await this.flush().catch((err) => this.log.error({ err, topic: this.topic }, 'system table changes lost at close'));
    this.closed = true;
    await this.reader?.close();
    await this.tailing;
    await this.producer?.close();
  }

  private async tail(): Promise<void> {
    while (!this.closed) {
      const batch = await this.reader!.receive(1000, 1000);
      for (const m of batch) if (m.producerName !== this.producer!.name) this.apply(m);
    }
  }

  private apply(m: ReceivedMessage): void {
    if (m.key === undefined) return;
    if (m.payload.length === 0) {
      this.values.delete(m.key);
      return;
    }
    try {
      this.values.set(m.key, JSON.parse(m.payload.toString('utf8')) as V);
    } catch (err) {
      this.log.warn({ err, topic: this.topic, key: m.key }, 'unreadable system table entry skipped');
    }
  }
}
