import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logger.js';
import type { PulsarClient } from '../../pulsar/pulsar-client.js';
import { PulsarProducer } from '../../pulsar/producer.js';
import { PulsarConsumer, compareMessageIds, type MessageId, type ReceivedMessage } from '../../pulsar/consumer.js';

/** Decides, from the table as it stands at that point of the log, whether a write (undefined: a delete) takes effect. */
export type WriteRule<V> = (state: ReadonlyMap<string, V>, key: string, value: V | undefined) => boolean;

/**
 * optimistic: a gateway applies its own writes at once and skips their echoes, so gateways may apply concurrent
 * writes in different orders. Fit for tables where each key has one writer (consumer offsets), where an old own
 * write echoing back must not undo a newer local value.
 */
export interface OptimisticOptions {
  mode: 'optimistic';
  /** Writes wait this long to be coalesced (latest value per key wins); 0 writes at once. */
  writeBehindMs: number;
  /** told how long each write of pending changes took */
  onFlushed?: (durationMs: number) => void;
}

/** ordered: every write, own ones included, takes effect when read back from the log, in log order, if `rule` lets it. */
export interface OrderedOptions<V> {
  mode: 'ordered';
  rule?: WriteRule<V>;
  /** How long a write may take to come back through the tail before `set`/`update` fail. */
  echoTimeoutMs?: number;
}

export type SystemTableOptions<V> = OptimisticOptions | OrderedOptions<V>;

/** An ordered write the rule kept rejecting; the table is left as the log decided. */
export class TableWriteRejected extends Error {
  override name = 'TableWriteRejected';
}

const WRITE_ID = 'rop-write';
/** A rejected write nobody followed up within this long is taken as its writer's crash (see `repairLater`). */
const ORPHAN_REPAIR_MS = 10_000;
const REASSERT_ATTEMPTS = 10;

/**
 * A key → JSON value table kept in a compacted Pulsar topic: the message key is the table key and an
 * empty payload deletes it. Opening reads the compacted view up to the last message; afterwards the
 * table tails the raw topic (a compacted tail that lags behind a compaction would skip deletes), so
 * gateways sharing a cluster see each other's writes.
 *
 * Ordered tables and compaction. A reader opening later sees only the latest message per key, so a rule
 * applied to that view agrees with the rule applied to the whole log only if every key's latest message is
 * one the rule accepted: the latest values then are the whole state, their keys were consistent with each
 * other in the full log, and for the topics rule (no queue key shared, a topic's keys only grow) any subset
 * of a consistent state is consistent, so the fresh reader accepts them all. Hence a rejected write must
 * never stay a key's latest message: `update` retries from the state the log decided and, when it gives up,
 * re-writes the key's current value (a rule accepts a key's own value), so every writer's last message for a
 * key is accepted; a writer that crashes in between is covered by every other gateway (`repairLater`).
 * What is left is a compaction whose horizon falls inside that follow-up window (milliseconds, or
 * ORPHAN_REPAIR_MS after a crash). Broker deduplication on the namespace keeps producer resends out of the log.
 */
export class SystemTable<V> {
  private readonly values = new Map<string, V>();
  private readonly dirty = new Map<string, V | undefined>();
  private readonly awaiting = new Map<string, { settle: (accepted: boolean) => void; timer: NodeJS.Timeout }>();
  private readonly keyQueues = new Map<string, Promise<unknown>>();
  private readonly orphans = new Map<string, NodeJS.Timeout>();
  private readonly writerId = randomUUID();
  private writes = 0;
  private producer?: PulsarProducer;
  private reader?: PulsarConsumer;
  private flushTimer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private tailing?: Promise<void>;
  /** the last message the tail applied (or the catch-up reached) */
  private applied?: MessageId;
  private closed = false;

  constructor(
    private readonly client: PulsarClient,
    readonly topic: string,
    private readonly options: SystemTableOptions<V>,
    private readonly log: Logger,
  ) {}

  async open(): Promise<void> {
    this.producer = await PulsarProducer.create(this.client, this.topic);
    const position = await this.catchUp();
    this.applied = position;
    this.reader = await PulsarConsumer.subscribe(this.client, this.topic, {
      subscription: `rop-table-${randomUUID()}`, durable: false, startMessageId: position ?? 'earliest', receiverQueueSize: 1000,
    });
    this.tailing = this.tail();
    if (this.options.mode === 'optimistic' && this.options.writeBehindMs > 0) {
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

  /**
   * Sets `key`. Optimistic: visible at once, persisted by the next flush with write-behind, else before this
   * resolves. Ordered: resolves once the write came back from the log and took effect here; throws
   * TableWriteRejected when the rule rejected it.
   */
  async set(key: string, value: V | undefined): Promise<void> {
    if (this.options.mode === 'ordered') {
      await this.update(key, () => value);
      return;
    }
    if (value === undefined) this.values.delete(key);
    else this.values.set(key, value);
    this.dirty.set(key, value);
    if (this.options.writeBehindMs === 0) await this.flush();
  }

  /**
   * Ordered tables: writes `next(current)` and waits for the log's verdict; a rejected write is recomputed
   * from the state the log left and tried again, up to `attempts` writes. Resolves with the value that took
   * effect (`next` returning the current value writes nothing). Local updates of one key run one at a time.
   */
  update(key: string, next: (current: V | undefined) => V | undefined, attempts = 1): Promise<V | undefined> {
    if (this.options.mode !== 'ordered') throw new Error(`${this.topic} is not an ordered table`);
    return this.serialized(key, async () => {
      for (let attempt = 0; attempt < attempts; attempt++) {
        const current = this.values.get(key);
        const value = next(current);
        if (JSON.stringify(value) === JSON.stringify(current)) return current;
        if (await this.propose(key, value)) return this.values.get(key);
      }
      await this.reassert(key);
      throw new TableWriteRejected(`${this.topic}: write to ${key} rejected ${attempts} times`);
    });
  }

  /** Writes every pending change of an optimistic table; resolves once all are persisted. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.dirty.size === 0 || !this.producer) return;
      const batch = [...this.dirty];
      this.dirty.clear();
      const started = performance.now();
      try {
        await Promise.all(batch.map(([key, value]) => this.producer!.send({ key, payload: encode(value) })));
        if (this.options.mode === 'optimistic') this.options.onFlushed?.(performance.now() - started);
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
    await Promise.all([...this.keyQueues.values()].map((p) => p.catch(() => undefined)));
    this.closed = true;
    for (const timer of this.orphans.values()) clearTimeout(timer);
    await this.reader?.close();
    await this.tailing;
    await this.producer?.close();
  }

  /**
   * Resolves once the tail has applied every message written to the table before this call: a gateway taking a
   * broker slot over reads the offsets its previous owner wrote last, not older ones.
   */
  async sync(timeoutMs = 10_000): Promise<void> {
    const { id: last } = await this.reader!.lastMessageId();
    if (last.ledgerId < 0 || last.entryId < 0) return;
    const deadline = Date.now() + timeoutMs;
    const reached = (): boolean => this.applied !== undefined && compareMessageIds({ ...this.applied, batchIndex: -1 }, { ...last, batchIndex: -1 }) >= 0;
    while (!reached()) {
      if (Date.now() > deadline) throw new Error(`${this.topic}: not caught up with its last message within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Runs `work` after the key's earlier local writes have settled. */
  private serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    const run = (this.keyQueues.get(key) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.keyQueues.set(key, run);
    const forget = (): void => { if (this.keyQueues.get(key) === run) this.keyQueues.delete(key); };
    run.then(forget, forget);
    return run;
  }

  /** Applies the compacted view up to the topic's last message; returns the position reached. */
  private async catchUp(): Promise<MessageId | undefined> {
    const reader = await PulsarConsumer.subscribe(this.client, this.topic, {
      subscription: `rop-table-${randomUUID()}`, durable: false, startMessageId: 'earliest', readCompacted: true, receiverQueueSize: 1000,
    });
    try {
      const { id: last } = await reader.lastMessageId();
      if (last.ledgerId < 0 || last.entryId < 0) return undefined;
      let position: MessageId | undefined;
      while (!position || compareMessageIds({ ...position, batchIndex: -1 }, { ...last, batchIndex: -1 }) < 0) {
        const batch = await reader.receive(1000, 10_000);
        if (batch.length === 0) throw new Error(`reading ${this.topic} stalled before its last message`);
        for (const m of batch) this.apply(m);
        position = batch[batch.length - 1]!.id;
      }
      return position;
    } finally {
      await reader.close();
    }
  }

  private async propose(key: string, value: V | undefined): Promise<boolean> {
    const id = `${this.writerId}/${this.writes++}`;
    const timeoutMs = (this.options.mode === 'ordered' && this.options.echoTimeoutMs) || 30_000;
    const verdict = new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.awaiting.delete(id);
        reject(new Error(`${this.topic}: write to ${key} not read back within ${timeoutMs} ms`));
      }, timeoutMs);
      this.awaiting.set(id, { settle: resolve, timer });
    });
    try {
      await this.producer!.send({ key, payload: encode(value), properties: { [WRITE_ID]: id } });
    } catch (err) {
      clearTimeout(this.awaiting.get(id)?.timer);
      this.awaiting.delete(id);
      throw err;
    }
    return verdict;
  }

  /**
   * Re-writes the key's current value, so the key's latest message is an accepted one again. Deleting a key
   * that was absent is unconditional: a creation racing with it is lost, on every gateway alike.
   */
  private async reassert(key: string): Promise<void> {
    for (let i = 0; i < REASSERT_ATTEMPTS; i++) if (await this.propose(key, this.values.get(key))) return;
  }

  private async tail(): Promise<void> {
    while (!this.closed) {
      const batch = await this.reader!.receive(1000, 1000);
      for (const m of batch) {
        if (this.options.mode === 'ordered' || m.producerName !== this.producer!.name) this.apply(m);
        this.applied = m.id;
      }
    }
  }

  private apply(m: ReceivedMessage): void {
    if (m.key === undefined) return;
    let value: V | undefined;
    let readable = true;
    try {
      value = m.payload.length === 0 ? undefined : JSON.parse(m.payload.toString('utf8')) as V;
    } catch (err) {
      readable = false;
      this.log.warn({ err, topic: this.topic, key: m.key }, 'unreadable system table entry skipped');
    }
    const o = this.options;
    const accepted = readable && (o.mode === 'optimistic' || (o.rule?.(this.values, m.key, value) ?? true));
    if (accepted) {
      if (value === undefined) this.values.delete(m.key);
      else this.values.set(m.key, value);
    }
    if (o.mode !== 'ordered') return;
    const id = m.properties.get(WRITE_ID);
    const waiter = id === undefined ? undefined : this.awaiting.get(id);
    if (waiter) {
      this.awaiting.delete(id!);
      clearTimeout(waiter.timer);
      waiter.settle(accepted);
    }
    clearTimeout(this.orphans.get(m.key));
    this.orphans.delete(m.key);
    if (!accepted && !waiter && this.tailing) this.repairLater(m.key);
  }

  /**
   * Another gateway's rejected write is followed up by that gateway at once; if nothing follows it for a
   * while, its writer presumably died, and this gateway re-writes the key's current value in its place.
   */
  private repairLater(key: string): void {
    const timer = setTimeout(() => {
      this.orphans.delete(key);
      if (this.closed) return;
      this.serialized(key, () => this.reassert(key)).catch((err) => this.log.warn({ err, topic: this.topic, key }, 'could not repair a rejected system table write'));
    }, ORPHAN_REPAIR_MS + Math.random() * ORPHAN_REPAIR_MS);
    timer.unref();
    this.orphans.set(key, timer);
  }
}

const encode = (value: unknown): Buffer => (value === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(value)));
