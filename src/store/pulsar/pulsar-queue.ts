import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logger.js';
import type { PulsarClient } from '../../pulsar/pulsar-client.js';
import type { PulsarAdmin } from '../../pulsar/admin.js';
import { PulsarProducer, type OutgoingMessage, type SendReceipt } from '../../pulsar/producer.js';
import { PulsarConsumer, compareMessageIds, type ReceivedMessage } from '../../pulsar/consumer.js';
import { BoundedMap } from './bounded-map.js';
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
  /** How long an append waits to see its own message come back before asking the admin API for its index. */
  indexWaitMs: number;
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

const entryKey = (ledgerId: number, entryId: number): string => `${ledgerId}:${entryId}`;
/** Entry ends remembered for appends whose receipt comes after the tail saw them; a receipt lags by far less. */
const SEEN_ENTRIES = 8192;

/**
 * One RocketMQ queue, kept as one partition of a Pulsar partitioned topic. A tailing reader follows the
 * partition from the moment the queue opens: it learns the broker entry index of every new message
 * (whoever wrote it), which is how appends learn their offsets and how the queue knows its max offset;
 * and it keeps the newest messages in memory for consumers that keep up. Older offsets are read through
 * positioned readers, found by the cache or by the broker's index lookup, and reused by sequential pulls.
 */
export class PulsarQueue {
  /** Offset after the last message the tail has seen. */
  private next = 0;
  /** Offset after the last message acknowledged to a writer; may run a little ahead of the tail. */
  private acknowledged = 0;
  private readonly tailWaiters: Array<{ offset: number; done: () => void }> = [];
  private readonly recent: IndexedMessage[] = [];
  private recentBytes = 0;
  /**
   * ledger:entry → index of the entry's last message, for recent entries: seen by the tail (anyone's), or worked
   * out from the entry before. Entry ids within a ledger have no gaps, so an entry's last index is the previous
   * entry's plus its own message count; a receipt whose previous entry is known needs no wait for the tail.
   */
  private readonly entryEnds = new BoundedMap<string, number>(SEEN_ENTRIES);
  /** ledger:entry → appends waiting for the entry's last index. */
  private readonly indexWaiters = new Map<string, Array<(lastIndex: number) => void>>();
  private readonly catchUp = new Map<number, CatchUpReader>();
  private tail?: PulsarConsumer;
  private tailLoop?: Promise<void>;
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
  ) {}

  private get adminPath(): string {
    return this.partition.replace(/^persistent:\/\//, '');
  }

  async open(): Promise<void> {
    this.tail = await PulsarConsumer.subscribe(this.client, this.partition, {
      subscription: `rop-tail-${randomUUID()}`, durable: false, startMessageId: 'latest', receiverQueueSize: 1000,
    });
    const { id: last } = await this.tail.lastMessageId();
    if (last.ledgerId >= 0 && last.entryId >= 0) {
      const meta = await this.admin.entryMetadata(this.adminPath, last.ledgerId, last.entryId);
      if (meta && meta.index === undefined) throw this.missingIndex();
      if (meta?.index !== undefined) this.next = Math.max(this.next, meta.index + 1);
    }
    this.tailLoop = this.follow();
  }

  get maxOffset(): number {
    return Math.max(this.next, this.acknowledged);
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
    // Indexes are worked out as receipts arrive, in their order, so each entry can build on the one before.
    return Promise.all(messages.map((m) => producer.send(m).then((r) => this.indexOf(r))));
  }

  /**
   * Up to `max` messages from `offset` (which the caller checked is below maxOffset), stopping early
   * past `maxBytes` but returning at least one. Empty when `offset` is no longer kept.
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
  minOffset(): Promise<number> {
    return this.oldestOffset.current();
  }

  /** The oldest offset for a read that found messages at `offset`, without waiting on the broker but the first time. */
  minOffsetBefore(offset: number): Promise<number> {
    return this.oldestOffset.before(offset);
  }

  async oldest(): Promise<IndexedMessage | undefined> {
    return this.next === 0 ? undefined : this.peekOldest();
  }

  /** First offset published at or after `timestamp`; maxOffset when none was. */
  async offsetForTimestamp(timestamp: number): Promise<number> {
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
    for (const c of this.catchUp.values()) clearTimeout(c.idle);
    const readers = [...this.catchUp.values()].map((c) => c.reader);
    this.catchUp.clear();
    await Promise.all([...readers.map((r) => r.close()), this.tail?.close()]);
    await this.tailLoop;
    const producer = await this.producer?.catch(() => undefined);
    await producer?.close();
  }

  private async follow(): Promise<void> {
    while (!this.closed) {
      const batch = await this.tail!.receive(1000, 1000);
      if (batch.length === 0) continue;
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
    if (m.id.batchIndex === m.entryMessages - 1 || m.id.batchIndex < 0) this.noteEntryEnd(entryKey(m.id.ledgerId, m.id.entryId), m.index);
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

  private noteEntryEnd(key: string, lastIndex: number): void {
    if ((this.entryEnds.get(key) ?? -1) >= lastIndex) return;
    this.entryEnds.set(key, lastIndex);
    const waiters = this.indexWaiters.get(key);
    if (waiters) {
      this.indexWaiters.delete(key);
      for (const w of waiters) w(lastIndex);
    }
  }

  /**
   * The index of a message this gateway wrote: from its entry's known end or the previous entry's, else as the
   * tail sees it, else (after indexWaitMs) asked of the broker.
   */
  private indexOf(r: SendReceipt): Promise<number> {
    const { ledgerId, entryId, batchIndex, entryMessages } = r;
    const here = entryKey(ledgerId, entryId);
    let end = this.entryEnds.get(here);
    if (end === undefined && entryId > 0) {
      const before = this.entryEnds.get(entryKey(ledgerId, entryId - 1));
      if (before !== undefined) {
        end = before + entryMessages;
        this.noteEntryEnd(here, end);
        this.acknowledged = Math.max(this.acknowledged, end + 1);
      }
    }
    // The entry's index is its last message's; a batch's earlier messages count back from it.
    const indexIn = (last: number, messages: number): number => (batchIndex < 0 ? last : last - (messages - 1) + batchIndex);
    if (end !== undefined) return Promise.resolve(indexIn(end, entryMessages));
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.indexWaiters.get(here);
        list?.splice(list.indexOf(done), 1);
        this.admin.entryMetadata(this.adminPath, ledgerId, entryId).then((meta) => {
          if (meta?.index === undefined) reject(meta ? this.missingIndex() : new Error(`entry ${here} of ${this.partition} not found`));
          else resolve(indexIn(meta.index, meta.messages));
        }, reject);
      }, this.options.indexWaitMs);
      const done = (last: number): void => {
        clearTimeout(timer);
        resolve(indexIn(last, entryMessages));
      };
      const list = this.indexWaiters.get(here) ?? [];
      list.push(done);
      this.indexWaiters.set(here, list);
    });
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
