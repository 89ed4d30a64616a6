import type { Logger } from '../logger.js';
import { readForward, type AppendResult, type MessageStore, type NewMessage, type StoredMessage } from '../store/message-store.js';
import { Prop } from '../protocol/message-properties.js';
import { ensureTopic, KEY_INDEX_TOPIC } from './system-topics.js';
const KIND_KEY = 0;
const KIND_UNIQUE = 1;
const MAX_RECORD_BYTES = 512 * 1024;
/** Entries kept while their records cannot be written (a full disk); past it the oldest are dropped. */
const MAX_PENDING_BYTES = 16 * MAX_RECORD_BYTES;
/** Topic and key lengths are written in 16 bits. */
const MAX_FIELD_BYTES = 0xffff;
/** Kind, two lengths, locator and store time. */
const ENTRY_OVERHEAD = 1 + 2 + 2 + 8 + 8;
const SCAN_BATCH = 64;

interface Entry {
  kind: number;
  topic: string;
  key: string;
  locator: bigint;
  storeTimestamp: number;
}

interface PendingEntry extends Entry {
  /** its encoded size */
  bytes: number;
}

export interface KeyQuery {
  topic: string;
  key: string;
  /** Match the message id (UNIQ_KEY) rather than KEYS. */
  unique: boolean;
  begin: number;
  end: number;
  max: number;
}

/** Entries that never made it into the index, by why: a topic or key too long to encode, or dropped while records could not be written. */
export interface KeyIndexLosses {
  unencodable: number;
  overflow: number;
}

/**
 * Finds messages by key (KEYS) or message id (UNIQ_KEY) within a time range, for QUERY_MESSAGE. Index
 * entries are gathered and written as records (each one message) every `flushMs` to an index topic of the same
 * store, so the index needs nothing of the store but its append and read, and lives as long as it does. A query
 * reads the records of its time range (found by store time), and the entries not written yet, and looks each
 * match up by its locator. A record that cannot be written (a full disk) is retried at the next flush, its
 * entries still found meanwhile; what one message carries can never stop the index.
 */
export class MessageKeyIndex {
  /** Entries not written yet, oldest first. */
  private pending: PendingEntry[] = [];
  private pendingBytes = 0;
  /** Entries of the record being written. */
  private writing: PendingEntry[] = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private failing = false;
  /** Whether this run of failures has dropped entries already (warned once per run). */
  private dropping = false;
  readonly losses: KeyIndexLosses = { unencodable: 0, overflow: 0 };

  constructor(private readonly store: MessageStore, private readonly flushMs: number, private readonly log: Logger) {}

  async start(): Promise<void> {
    await ensureTopic(this.store, KEY_INDEX_TOPIC, 1);
    // A failed write is reported by writePending, once per run of failures.
    this.timer = setInterval(() => void this.flush().catch(() => undefined), this.flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch(() => this.log.warn({ entries: this.pending.length }, 'key index entries lost at stop: their records could not be written'));
  }

  /** Notes the keys of messages just stored in `topic`. */
  add(topic: string, messages: NewMessage[], result: AppendResult): void {
    messages.forEach((m, i) => {
      const locator = result.locators[i]!;
      const unique = m.properties.get(Prop.UNIQ_KEY);
      if (unique) this.push(KIND_UNIQUE, topic, unique, locator, result.storeTimestamp);
      for (const key of (m.properties.get(Prop.KEYS) ?? '').split(' ')) {
        if (key) this.push(KIND_KEY, topic, key, locator, result.storeTimestamp);
      }
    });
  }

  async query(q: KeyQuery, lookup: (locator: bigint) => Promise<StoredMessage | undefined>): Promise<StoredMessage[]> {
    const kind = q.unique ? KIND_UNIQUE : KIND_KEY;
    const matches = (e: Entry): boolean => e.kind === kind && e.key === q.key && e.topic === q.topic && e.storeTimestamp >= q.begin && e.storeTimestamp <= q.end;
    // Taken before the records are read: an entry written meanwhile is then in one or the other.
    const unwritten = [...this.writing, ...this.pending];
    const found = new Map<bigint, true>();
    const from = await this.store.offsetForTimestamp(KEY_INDEX_TOPIC, 0, Math.max(0, q.begin));
    for await (const record of readForward(this.store, KEY_INDEX_TOPIC, 0, from, SCAN_BATCH)) {
      // A record's born time is its oldest entry's store time (or, in records of older versions, later still).
      if (found.size >= q.max || record.bornTimestamp > q.end + 10 * this.flushMs) break;
      for (const e of decodeEntries(record.body)) if (matches(e)) found.set(e.locator, true);
    }
    for (const e of unwritten) if (matches(e)) found.set(e.locator, true);
    const messages: StoredMessage[] = [];
    for (const locator of [...found.keys()].slice(0, q.max)) {
      const m = await lookup(locator);
      if (m) messages.push(m);
    }
    return messages;
  }

  private push(kind: number, topic: string, key: string, locator: bigint, storeTimestamp: number): void {
    const topicBytes = Buffer.byteLength(topic);
    const keyBytes = Buffer.byteLength(key);
    if (topicBytes > MAX_FIELD_BYTES || keyBytes > MAX_FIELD_BYTES) {
      if (this.losses.unencodable++ === 0) this.log.warn({ topic: topic.slice(0, 128), keyBytes, limit: MAX_FIELD_BYTES }, 'a message key too long for the key index is not indexed (logged once; counted in rop_key_index_entries_dropped_total)');
      return;
    }
    const bytes = ENTRY_OVERHEAD + topicBytes + keyBytes;
    this.pending.push({ kind, topic, key, locator, storeTimestamp, bytes });
    this.pendingBytes += bytes;
    this.dropOverflow();
    if (this.pendingBytes >= MAX_RECORD_BYTES && !this.failing) void this.flush().catch(() => undefined);
  }

  /** Keeps what waits in memory bounded: the oldest entries go first. */
  private dropOverflow(): void {
    if (this.pendingBytes <= MAX_PENDING_BYTES) return;
    let n = 0;
    while (this.pendingBytes > MAX_PENDING_BYTES) {
      this.pendingBytes -= this.pending[n]!.bytes;
      n++;
    }
    this.pending.splice(0, n);
    if (!this.dropping) this.log.warn({ dropped: n, keptBytes: MAX_PENDING_BYTES }, 'key index records cannot be written and the entries waiting passed their bound: the oldest are dropped (counted in rop_key_index_entries_dropped_total)');
    this.losses.overflow += n;
    this.dropping = true;
  }

  /** Writes what is pending; flushes run one after another, and one that fails leaves the next free to run. */
  private flush(): Promise<void> {
    const run = this.flushing.then(() => this.writePending());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async writePending(): Promise<void> {
    while (this.pending.length > 0) {
      let n = 0;
      let bytes = 0;
      while (n < this.pending.length && (n === 0 || bytes + this.pending[n]!.bytes <= MAX_RECORD_BYTES)) bytes += this.pending[n++]!.bytes;
      const batch = (this.writing = this.pending.splice(0, n));
      this.pendingBytes -= bytes;
      try {
        await this.store.append(KEY_INDEX_TOPIC, 0, [{
          body: encodeEntries(batch), flag: 0, sysFlag: 0, properties: new Map(), bornTimestamp: oldestOf(batch),
          bornHost: '127.0.0.1:0', reconsumeTimes: 0, preparedTransactionOffset: 0n,
        }]);
      } catch (err) {
        // Back at the head, in order, for the next flush.
        this.pending.unshift(...batch);
        this.pendingBytes += bytes;
        this.dropOverflow();
        this.writeFailed(err);
        throw err;
      } finally {
        this.writing = [];
      }
    }
    if (this.failing) {
      this.failing = false;
      this.dropping = false;
      this.log.info({ droppedEntries: this.losses.overflow }, 'key index records are written again');
    }
  }

  private writeFailed(err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.log.warn({ reason: (err as Error).message, pendingEntries: this.pending.length }, 'key index record cannot be written: its entries are kept, still found by queries, and written when the store takes them');
  }
}

/** The oldest store time of `entries`, which a query reads as the record's start. */
const oldestOf = (entries: Entry[]): number => entries.reduce((t, e) => Math.min(t, e.storeTimestamp), Number.MAX_SAFE_INTEGER);

/** Each entry: kind (1 byte), topic and key (2-byte length + UTF-8 each), locator and store time (8 bytes each). */
function encodeEntries(entries: PendingEntry[]): Buffer {
  const b = Buffer.allocUnsafe(entries.reduce((n, e) => n + e.bytes, 0));
  let o = 0;
  for (const e of entries) {
    o = b.writeUInt8(e.kind, o);
    const topicLen = b.write(e.topic, o + 2);
    o = b.writeUInt16BE(topicLen, o) + topicLen;
    const keyLen = b.write(e.key, o + 2);
    o = b.writeUInt16BE(keyLen, o) + keyLen;
    o = b.writeBigInt64BE(e.locator, o);
    o = b.writeBigInt64BE(BigInt(e.storeTimestamp), o);
  }
  return b;
}

/** The entries of a record; one cut short ends it. */
function decodeEntries(body: Buffer): Entry[] {
  const out: Entry[] = [];
  let o = 0;
  while (o + ENTRY_OVERHEAD <= body.length) {
    const kind = body.readUInt8(o);
    const topicLen = body.readUInt16BE(o + 1);
    const keyAt = o + 3 + topicLen;
    if (keyAt + 2 > body.length) break;
    const keyLen = body.readUInt16BE(keyAt);
    const tail = keyAt + 2 + keyLen;
    if (tail + 16 > body.length) break;
    out.push({
      kind,
      topic: body.toString('utf8', o + 3, keyAt),
      key: body.toString('utf8', keyAt + 2, tail),
      locator: body.readBigInt64BE(tail),
      storeTimestamp: Number(body.readBigInt64BE(tail + 8)),
    });
    o = tail + 16;
  }
  return out;
}
