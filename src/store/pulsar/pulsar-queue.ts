import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logger.js';
import type { PulsarClient } from '../../pulsar/pulsar-client.js';
import type { PulsarAdmin } from '../../pulsar/admin.js';
import { PulsarProducer, type OutgoingMessage } from '../../pulsar/producer.js';
import { PulsarConsumer, compareMessageIds, type ReceivedMessage } from '../../pulsar/consumer.js';
import { EntryIndex } from './entry-index.js';
import { OldestOffset } from './oldest-offset.js';

/** A message read from the partition with its broker entry index, which is its RocketMQ queue offset. */
export interface IndexedMessage extends ReceivedMessage {
  index: number;
}

export interface PulsarQueueOptions {
  /** Newest messages kept in memory per queue, serving consumers that keep up without another read. */
  recentMessages: number;
  recentBytes: number;
  /** Positioned readers kept for consumers behind the recent window, and how long an idle one lives. */
  maxCatchUpReaders: number;
  catchUpIdleMs: number;
  /** How long an append waits for the tail to see its entry before asking the admin API for the entry's index. */
  indexWaitMs: number;
  /** How long the tail runs after the queue was last read; appends alone do not need it. */
  tailIdleMs: number;
  sendTimeoutMs: number;
}

/** The broker does not expose entry indexes, so offsets cannot be contiguous. */
export class MissingEntryIndexError extends Error {
  override readonly name = 'MissingEntryIndexError';
}

interface CatchUpReader {
  reader: PulsarConsumer;
  idle: NodeJS.Timeout;
}

/**
 * One RocketMQ queue, kept as one partition of a Pulsar partitioned topic. While the queue is read, a tailing
 * reader follows the partition: it learns the broker entry index of every new message (whoever wrote it), which is
 * how the queue knows its max offset and wakes long polls, and it keeps the newest messages in memory for consumers
 * that keep up. It opens on the first read and closes after tailIdleMs without one: a queue only written to does
 * not have Pulsar dispatch every entry back to the gateway that wrote it (appends learn their offsets from their
 * entries, see EntryIndex). Older offsets are read through positioned readers, found by the cache or by the
 * broker's index lookup, and reused by sequential pulls.
 */
export class PulsarQueue {
  /** Offset after the last message the tail has seen. */
  private next = 0;
  /** Offset after the last message acknowledged to a writer; may run a little ahead of the tail. */
  private acknowledged = 0;
  private readonly tailWaiters: Array<{ offset: number; done: () => void }> = [];
  private readonly recent: IndexedMessage[] = [];
  private recentBytes = 0;
  private readonly entries: EntryIndex;
  private readonly catchUp = new Map<number, CatchUpReader>();
  private tail?: PulsarConsumer;
  private tailLoop?: Promise<void>;
  /** The tail's opening, from the first read until it closes for idleness. */
  private following?: Promise<void>;
  private lastRead = 0;
  private idleCheck?: NodeJS.Timeout;
  private producer?: Promise<PulsarProducer>;
  private closed = false;
  private readonly oldestOffset = new OldestOffset(() => this.lookUpOldestOffset());

  constructor(
    private readonly client: PulsarClient,
    private readonly admin: PulsarAdmin,
    /** Full partition name, persistent://tenant/namespace/topic-partition-N */
    readonly partition: string,
    private readonly options: PulsarQueueOptions,
    private readonly onGrow: () => void,
    private readonly log: Logger,
  ) {
    this.entries = new EntryIndex((ledgerId, entryId) => this.admin.entryMetadata(this.adminPath, ledgerId, entryId).then((meta) => {
      if (meta?.index === undefined) throw meta ? this.missingIndex() : new Error(`entry ${ledgerId}:${entryId} of ${this.partition} not found`);
      return meta.index;
    }), options.indexWaitMs);
  }

  private get adminPath(): string {
    return this.partition.replace(/^persistent:\/\//, '');
  }

  /**
   * Starts the tail unless it runs: everything but an append needs it (the max offset with other writers' messages,
   * the recent window, long polls woken by any writer). Counts as a read for the tail's idle time.
   */
  follow(): Promise<void> {
    this.lastRead = Date.now();
    this.following ??= this.openTail().catch((err) => {
      this.following = undefined;
      throw err;
    });
    return this.following;
  }

  /** Offset after the newest message known here; follow() first (or see currentMaxOffset) to count other writers' messages. */
  get maxOffset(): number {
    return Math.max(this.next, this.acknowledged);
  }

  /** Offset after the newest message. Without a tail it asks the broker rather than start one: a count is not a read. */
  async currentMaxOffset(): Promise<number> {
    if (this.tail) return this.maxOffset;
    return Math.max(this.maxOffset, await this.brokerEnd());
  }

  /** Appends in order; resolves with each message's offset once Pulsar has persisted it. */
  async append(messages: OutgoingMessage[]): Promise<number[]> {
    // Shared access: Pulsar clients may write the same partitions (offsets come from the broker's entry index, so
    // other writers, a deposed owner's last sends included, never make them wrong). A slot's owners never overlap
    // by the cluster's fence, not by holding the partitions exclusively.
    this.producer ??= PulsarProducer.create(this.client, this.partition, {
      sendTimeoutMs: this.options.sendTimeoutMs,
      maxPendingMessages: 10_000,
      batching: { maxMessages: 512, maxBytes: 512 * 1024 },
    });
    let producer: PulsarProducer;
    try {
      producer = await this.producer;
    } catch (err) {
      this.producer = undefined;
      throw err;
    }
    // A tail that runs before the send sees the entry; one opened later starts after it.
    const tailing = this.tail !== undefined;
    // Offsets are worked out as receipts arrive, in their order, so each entry can build on the one before.
    const offsets = await Promise.all(messages.map((m) => producer.send(m).then((r) => this.entries.offsetOf(r, tailing))));
    this.acknowledged = Math.max(this.acknowledged, offsets[offsets.length - 1]! + 1);
    // Without a tail nothing else tells the queue's listeners.
    if (!this.tail) this.onGrow();
    return offsets;
  }

  /**
   * Up to `max` messages from `offset` (which the caller checked is below maxOffset, so it has followed), stopping
   * early past `maxBytes` but returning at least one. Empty when `offset` is no longer kept.
   */
  async read(offset: number, max: number, maxBytes: number): Promise<IndexedMessage[]> {
    // Read what was acknowledged: an append may be acknowledged before the tail has seen it.
    const wanted = Math.min(offset + max, this.acknowledged);
    if (wanted > this.next || offset >= this.next) await this.tailPast(Math.max(offset, wanted - 1));
    const first = this.recent[0];
    if (first && offset >= first.index) {
      const from = offset - first.index;
      // The tail sees every message in order, so the window is contiguous; check rather than trust it.
      if (this.recent[from]?.index === offset) return takeWithin(this.recent.slice(from, from + max), maxBytes);
    }
    return this.readBehind(offset, max, maxBytes);
  }

  /** Oldest offset still kept by Pulsar (remembered for a while: retention moves it rarely). */
  async minOffset(): Promise<number> {
    await this.follow();
    return this.oldestOffset.current();
  }

  /** The oldest offset for a read that found messages at `offset`, without waiting on the broker but the first time. */
  minOffsetBefore(offset: number): Promise<number> {
    return this.oldestOffset.before(offset);
  }

  async oldest(): Promise<IndexedMessage | undefined> {
    await this.follow();
    return this.next === 0 ? undefined : this.peekOldest();
  }

  /** First offset published at or after `timestamp`; maxOffset when none was. */
  async offsetForTimestamp(timestamp: number): Promise<number> {
    await this.follow();
    // The broker reads a timestamp of 0 as "no position" (-1:-1); 1 ms means the same to us and works.
    const id = await this.admin.messageIdByTimestamp(this.adminPath, Math.max(1, timestamp));
    if (!id) return this.next;
    // For a time after the last message the broker answers the position after it, which cannot be read.
    const { id: last } = await this.tail!.lastMessageId();
    if (compareMessageIds({ ...id, partition: -1 }, { ...last, batchIndex: -1 }) > 0) return this.next;
    const meta = await this.admin.entryMetadata(this.adminPath, id.ledgerId, id.entryId);
    if (meta?.index === undefined) return this.next;
    return meta.index - (meta.messages - 1);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.idleCheck);
    for (const c of this.catchUp.values()) clearTimeout(c.idle);
    const readers = [...this.catchUp.values()].map((c) => c.reader);
    this.catchUp.clear();
    await Promise.all([...readers.map((r) => r.close()), this.tail?.close()]);
    await this.tailLoop;
    const producer = await this.producer?.catch(() => undefined);
    await producer?.close();
  }

  private async openTail(): Promise<void> {
    const tail = await PulsarConsumer.subscribe(this.client, this.partition, {
      subscription: `rop-tail-${randomUUID()}`, durable: false, startMessageId: 'latest', receiverQueueSize: 1000,
    });
    try {
      this.next = Math.max(this.next, await this.brokerEnd());
    } catch (err) {
      await tail.close();
      throw err;
    }
    if (this.closed) return void (await tail.close());
    this.tail = tail;
    this.tailLoop = this.tailFollows(tail);
    this.idleCheck = setInterval(() => {
      if (Date.now() - this.lastRead >= this.options.tailIdleMs && this.tailWaiters.length === 0) void this.closeTail();
    }, Math.max(10, this.options.tailIdleMs / 2));
    this.idleCheck.unref();
  }

  /** Stops the tail; the recent window goes with it, as what comes next may not follow on from it. */
  private async closeTail(): Promise<void> {
    const tail = this.tail;
    clearInterval(this.idleCheck);
    this.tail = undefined;
    this.following = undefined;
    this.recent.length = 0;
    this.recentBytes = 0;
    await tail?.close();
  }

  private async tailFollows(tail: PulsarConsumer): Promise<void> {
    while (!this.closed && this.tail === tail) {
      const batch = await tail.receive(1000, 1000);
      if (batch.length === 0 || this.tail !== tail) continue;
      for (const m of batch) {
        if (m.index === undefined) {
          this.log.error({ partition: this.partition }, 'Pulsar sent a message without a broker entry index; enable AppendIndexMetadataInterceptor');
          continue;
        }
        this.remember(m as IndexedMessage);
      }
      this.onGrow();
    }
  }

  /**
   * Resolves once the tail has seen `offset` (an acknowledged append it has not reached yet), or after
   * indexWaitMs, when a read falls back to the positioned readers (or returns what the tail has).
   */
  private tailPast(offset: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter = { offset, done: () => { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => {
        this.tailWaiters.splice(this.tailWaiters.indexOf(waiter), 1);
        resolve();
      }, this.options.indexWaitMs);
      this.tailWaiters.push(waiter);
    });
  }

  private remember(m: IndexedMessage): void {
    this.next = Math.max(this.next, m.index + 1);
    // Only a whole entry has a known end: the tail may hand a large batch entry over in two receives.
    if (m.id.batchIndex === m.entryMessages - 1 || m.id.batchIndex < 0) this.entries.note(m.id.ledgerId, m.id.entryId, m.index);
    if (this.tailWaiters.length > 0) {
      for (let i = this.tailWaiters.length - 1; i >= 0; i--) {
        const w = this.tailWaiters[i]!;
        if (w.offset < this.next) {
          this.tailWaiters.splice(i, 1);
          w.done();
        }
      }
    }
    // The window must stay contiguous: a message seen again is dropped, and after a gap it starts over.
    const last = this.recent[this.recent.length - 1];
    if (last && m.index <= last.index) return;
    if (last && m.index !== last.index + 1) {
      this.recent.length = 0;
      this.recentBytes = 0;
    }
    this.recent.push(m);
    this.recentBytes += m.payload.length;
    // Trim in chunks of a quarter window: shifting one message off a large array per append costs O(n).
    const slack = Math.ceil(this.options.recentMessages / 4);
    if (this.recent.length > this.options.recentMessages + slack || this.recentBytes > this.options.recentBytes * 1.25) {
      let drop = 0;
      let bytes = this.recentBytes;
      while (drop < this.recent.length - 1 && (this.recent.length - drop > this.options.recentMessages || bytes > this.options.recentBytes)) {
        bytes -= this.recent[drop]!.payload.length;
        drop++;
      }
      this.recent.splice(0, drop);
      this.recentBytes = bytes;
    }
  }

  private async readBehind(offset: number, max: number, maxBytes: number): Promise<IndexedMessage[]> {
    const reader = this.unpark(offset) ?? (await this.readerAt(offset));
    if (!reader) return [];
    const out: IndexedMessage[] = [];
    let bytes = 0;
    while (out.length < max) {
      const got = await reader.receive(max - out.length, out.length === 0 ? 5000 : 0);
      if (got.length === 0) break;
      for (const m of got) {
        if (m.index === undefined) throw this.missingIndex();
        if (m.index < offset + out.length) continue;
        if (out.length > 0 && bytes + m.payload.length > maxBytes) {
          // Over the byte budget: the reader has moved past this message, so it cannot be reused.
          await reader.close();
          return out;
        }
        out.push(m as IndexedMessage);
        bytes += m.payload.length;
      }
      if (reader.buffered === 0) break;
    }
    if (out.length === 0) await reader.close();
    else this.park(offset + out.length, reader);
    return out;
  }

  private unpark(offset: number): PulsarConsumer | undefined {
    const c = this.catchUp.get(offset);
    if (!c) return undefined;
    this.catchUp.delete(offset);
    clearTimeout(c.idle);
    return c.reader;
  }

  /** A reader that starts at `offset`, found through the broker's index lookup; undefined when no message has it. */
  private async readerAt(offset: number): Promise<PulsarConsumer | undefined> {
    const id = await this.admin.messageIdByIndex(this.adminPath, offset);
    if (!id) return undefined;
    return PulsarConsumer.subscribe(this.client, this.partition, {
      subscription: `rop-read-${randomUUID()}`, durable: false, startMessageId: { ...id, partition: -1 }, startInclusive: true, receiverQueueSize: 500,
    });
  }

  /** Keeps a reader positioned at `nextOffset` for the pull that is likely to come next. */
  private park(nextOffset: number, reader: PulsarConsumer): void {
    if (this.closed) {
      void reader.close();
      return;
    }
    const previous = this.catchUp.get(nextOffset);
    if (previous) {
      clearTimeout(previous.idle);
      void previous.reader.close();
    }
    const idle = setTimeout(() => {
      if (this.catchUp.get(nextOffset)?.reader === reader) this.catchUp.delete(nextOffset);
      void reader.close();
    }, this.options.catchUpIdleMs);
    idle.unref();
    this.catchUp.set(nextOffset, { reader, idle });
    while (this.catchUp.size > this.options.maxCatchUpReaders) {
      const [oldestOffset, oldest] = this.catchUp.entries().next().value!;
      this.catchUp.delete(oldestOffset);
      clearTimeout(oldest.idle);
      void oldest.reader.close();
    }
  }

  /** Offset after the partition's newest entry, by the broker's entry index. */
  private async brokerEnd(): Promise<number> {
    const last = await this.admin.lastEntry(this.adminPath);
    if (!last) return 0;
    const meta = await this.admin.entryMetadata(this.adminPath, last.ledgerId, last.entryId);
    if (meta && meta.index === undefined) throw this.missingIndex();
    return meta?.index === undefined ? 0 : meta.index + 1;
  }

  private async lookUpOldestOffset(): Promise<number> {
    if (this.next === 0 || (await this.admin.messageIdByIndex(this.adminPath, 0))) return 0;
    return (await this.peekOldest())?.index ?? this.next;
  }

  private async peekOldest(): Promise<IndexedMessage | undefined> {
    const reader = await PulsarConsumer.subscribe(this.client, this.partition, {
      subscription: `rop-peek-${randomUUID()}`, durable: false, startMessageId: 'earliest', receiverQueueSize: 1,
    });
    try {
      const [m] = await reader.receive(1, 2000);
      if (m && m.index === undefined) throw this.missingIndex();
      return m as IndexedMessage | undefined;
    } finally {
      await reader.close();
    }
  }

  private missingIndex(): MissingEntryIndexError {
    return new MissingEntryIndexError(`${this.partition}: the Pulsar broker does not expose broker entry indexes; set brokerEntryMetadataInterceptors=org.apache.pulsar.common.intercept.AppendIndexMetadataInterceptor and exposingBrokerEntryMetadataToClientEnabled=true`);
  }
}

/** The messages that fit in `maxBytes`, but at least one. */
function takeWithin(messages: IndexedMessage[], maxBytes: number): IndexedMessage[] {
  let bytes = 0;
  for (let i = 0; i < messages.length; i++) {
    bytes += messages[i]!.payload.length;
    if (i > 0 && bytes > maxBytes) return messages.slice(0, i);
  }
  return messages;
}
