import type { Logger } from '../logger.js';
import { readForward, type AppendResult, type MessageStore, type NewMessage, type StoredMessage } from '../store/message-store.js';
import { Prop } from '../protocol/message-properties.js';
import { ensureTopic, KEY_INDEX_TOPIC } from './system-topics.js';
const KIND_KEY = 0;
const KIND_UNIQUE = 1;
const MAX_RECORD_BYTES = 512 * 1024;
const SCAN_BATCH = 64;

interface Entry {
  kind: number;
  topic: string;
  key: string;
  locator: bigint;
  storeTimestamp: number;
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

/**
 * Finds messages by key (KEYS) or message id (UNIQ_KEY) within a time range, for QUERY_MESSAGE. Index
 * entries are gathered and written as one record every `flushMs` to an index topic of the same store,
 * so the index needs nothing of the store but its append and read, and lives as long as it does. A query
 * reads the records of its time range (found by store time) and looks each match up by its locator.
 */
export class MessageKeyIndex {
  private buffered: Entry[] = [];
  private bufferedBytes = 0;
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly store: MessageStore, private readonly flushMs: number, private readonly log: Logger) {}

  async start(): Promise<void> {
    await ensureTopic(this.store, KEY_INDEX_TOPIC, 1);
    this.timer = setInterval(() => void this.flush().catch((err) => this.log.warn({ err }, 'key index write failed')), this.flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch((err) => this.log.warn({ err }, 'key index entries lost at stop'));
  }

  /** Notes the keys of messages just stored in `topic`. */
  add(topic: string, messages: NewMessage[], result: AppendResult): void {
    messages.forEach((m, i) => {
      const locator = result.locators[i]!;
      const unique = m.properties.get(Prop.UNIQ_KEY);
      if (unique) this.push({ kind: KIND_UNIQUE, topic, key: unique, locator, storeTimestamp: result.storeTimestamp });
      for (const key of (m.properties.get(Prop.KEYS) ?? '').split(' ')) {
        if (key) this.push({ kind: KIND_KEY, topic, key, locator, storeTimestamp: result.storeTimestamp });
      }
    });
  }

  async query(q: KeyQuery, lookup: (locator: bigint) => Promise<StoredMessage | undefined>): Promise<StoredMessage[]> {
    await this.flush();
    const kind = q.unique ? KIND_UNIQUE : KIND_KEY;
    const found = new Map<bigint, true>();
    // A record is stored a flush interval after its newest entry at most.
    const from = await this.store.offsetForTimestamp(KEY_INDEX_TOPIC, 0, Math.max(0, q.begin));
    for await (const record of readForward(this.store, KEY_INDEX_TOPIC, 0, from, SCAN_BATCH)) {
      if (found.size >= q.max || record.storeTimestamp > q.end + 10 * this.flushMs) break;
      for (const e of decodeEntries(record.body)) {
        if (e.kind === kind && e.key === q.key && e.topic === q.topic && e.storeTimestamp >= q.begin && e.storeTimestamp <= q.end) found.set(e.locator, true);
      }
    }
    const messages: StoredMessage[] = [];
    for (const locator of [...found.keys()].slice(0, q.max)) {
      const m = await lookup(locator);
      if (m) messages.push(m);
    }
    return messages;
  }

  private push(e: Entry): void {
    this.buffered.push(e);
    this.bufferedBytes += 22 + Buffer.byteLength(e.topic) + Buffer.byteLength(e.key);
    if (this.bufferedBytes >= MAX_RECORD_BYTES) void this.flush().catch((err) => this.log.warn({ err }, 'key index write failed'));
  }

  private flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.buffered.length === 0) return;
      const entries = this.buffered;
      this.buffered = [];
      this.bufferedBytes = 0;
      await this.store.append(KEY_INDEX_TOPIC, 0, [{
        body: encodeEntries(entries), flag: 0, sysFlag: 0, properties: new Map(), bornTimestamp: Date.now(),
        bornHost: '127.0.0.1:0', reconsumeTimes: 0, preparedTransactionOffset: 0n,
      }]);
    });
    return this.flushing;
  }
}

/** Each entry: kind (1 byte), topic and key (2-byte length + UTF-8 each), locator and store time (8 bytes each). */
function encodeEntries(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const topic = Buffer.from(e.topic);
    const key = Buffer.from(e.key);
    const b = Buffer.allocUnsafe(1 + 2 + topic.length + 2 + key.length + 16);
    let o = b.writeUInt8(e.kind, 0);
    o = b.writeUInt16BE(topic.length, o);
    o += topic.copy(b, o);
    o = b.writeUInt16BE(key.length, o);
    o += key.copy(b, o);
    o = b.writeBigInt64BE(e.locator, o);
    b.writeBigInt64BE(BigInt(e.storeTimestamp), o);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

function decodeEntries(body: Buffer): Entry[] {
  const out: Entry[] = [];
  let o = 0;
  while (o < body.length) {
    const kind = body.readUInt8(o);
    const topicLen = body.readUInt16BE(o + 1);
    const topic = body.toString('utf8', o + 3, o + 3 + topicLen);
    o += 3 + topicLen;
    const keyLen = body.readUInt16BE(o);
    const key = body.toString('utf8', o + 2, o + 2 + keyLen);
    o += 2 + keyLen;
    const locator = body.readBigInt64BE(o);
    const storeTimestamp = Number(body.readBigInt64BE(o + 8));
    o += 16;
    out.push({ kind, topic, key, locator, storeTimestamp });
  }
  return out;
}
