import { closeSync, existsSync, fdatasync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { NewMessage, StoredMessage } from '../message-store.js';
import { decodeRecord, encodedSize, encodeProps, STORE_TIME_POS, validRecordLength, writeRecord } from './record-codec.js';

/**
 * One segment: `<base>.log` holds records back to back, `<base>.idx` one u32 position per
 * record, so offset → position is a direct lookup. Records are written before an append returns;
 * index entries at the next flush, since recovery rebuilds a lagging index from the records.
 */
interface Segment {
  base: number;
  logPath: string;
  idxPath: string;
  fd: number;
  idxFd: number;
  size: number;
  positions: Uint32Array;
  count: number;
  /** Index entries already written to `<base>.idx`; the rest are only in `positions`. */
  indexed: number;
  dirty: boolean;
}

const NAME_DIGITS = 20;
const segmentName = (base: number): string => String(base).padStart(NAME_DIGITS, '0');

export interface RecoveryReport {
  truncatedBytes: number;
  recoveredRecords: number;
}

/**
 * The append-only log of one queue, in segments of about `segmentBytes`. Offsets are contiguous
 * from the first kept segment's base to `maxOffset - 1`.
 */
export class QueueLog {
  private segments: Segment[] = [];

  constructor(private readonly dir: string, private readonly segmentBytes: number) {}

  /** Opens existing segments, truncating a torn tail (a record whose length or CRC does not check out). */
  open(): RecoveryReport {
    mkdirSync(this.dir, { recursive: true });
    const bases = readdirSync(this.dir)
      .filter((f) => /^\d+\.log$/.test(f))
      .map((f) => Number(f.slice(0, -4)))
      .sort((a, b) => a - b);
    const report: RecoveryReport = { truncatedBytes: 0, recoveredRecords: 0 };
    for (let i = 0; i < bases.length; i++) {
      const seg = this.openSegment(bases[i]!, false);
      const expected = i + 1 < bases.length ? bases[i + 1]! - bases[i]! : undefined;
      if (expected === undefined || seg.count !== expected) {
        const r = this.recover(seg);
        report.truncatedBytes += r.truncatedBytes;
        report.recoveredRecords += r.recoveredRecords;
      }
      this.segments.push(seg);
    }
    if (this.segments.length === 0) this.segments.push(this.openSegment(0, true));
    return report;
  }

  get minOffset(): number {
    return this.segments[0]!.base;
  }

  get maxOffset(): number {
    const last = this.segments[this.segments.length - 1]!;
    return last.base + last.count;
  }

  get sizeBytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  append(messages: NewMessage[], storeTimestamp: number): number {
    const props = messages.map(encodeProps);
    const sizes = messages.map((m, i) => encodedSize(m, props[i]!));
    const total = sizes.reduce((a, b) => a + b, 0);
    let seg = this.segments[this.segments.length - 1]!;
    if (seg.size > 0 && seg.size + total > this.segmentBytes) {
      seg = this.openSegment(seg.base + seg.count, true);
      this.segments.push(seg);
    }
    const first = seg.base + seg.count;
    const buf = Buffer.allocUnsafe(total);
    let pos = 0;
    for (let i = 0; i < messages.length; i++) pos = writeRecord(buf, pos, messages[i]!, props[i]!, first + i, storeTimestamp);
    writeFully(seg.fd, buf, seg.size);
    pos = seg.size;
    for (let i = 0; i < messages.length; i++) {
      this.pushPosition(seg, pos);
      pos += sizes[i]!;
    }
    seg.size += total;
    seg.dirty = true;
    return first;
  }

  /** Reads up to `maxMessages` from `offset` (which must be in [minOffset, maxOffset)), staying within one segment. */
  read(offset: number, maxMessages: number, maxBytes: number, topic: string, queueId: number, locatorOf: (offset: number) => bigint): StoredMessage[] {
    const seg = this.segmentFor(offset);
    if (!seg) return [];
    const i = offset - seg.base;
    const n = Math.min(maxMessages, seg.count - i);
    if (n <= 0) return [];
    const start = seg.positions[i]!;
    let k = 1;
    while (k < n && endOf(seg, i + k) - start <= maxBytes) k++;
    const end = endOf(seg, i + k - 1);
    const buf = Buffer.allocUnsafe(end - start);
    readFully(seg.fd, buf, start);
    const out: StoredMessage[] = [];
    for (let j = 0; j < k; j++) out.push(decodeRecord(buf, seg.positions[i + j]! - start, topic, queueId, locatorOf(offset + j)));
    return out;
  }

  /** First offset at or after `offset` that a segment holds (offsets lost to a damaged middle segment are skipped). */
  nextHeldOffset(offset: number): number {
    const seg = this.segments.find((s) => s.base + s.count > offset);
    return seg ? Math.max(seg.base, offset) : this.maxOffset;
  }

  storeTimeAt(offset: number): number {
    const seg = this.segmentFor(offset);
    if (!seg) return -1;
    const b = Buffer.allocUnsafe(8);
    readFully(seg.fd, b, seg.positions[offset - seg.base]! + STORE_TIME_POS);
    return Number(b.readBigUInt64BE(0));
  }

  /** Binary search over store times, which never decrease within a queue. */
  offsetForTimestamp(timestamp: number): number {
    let lo = this.minOffset;
    let hi = this.maxOffset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.storeTimeAt(mid) < timestamp) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Deletes whole sealed segments whose newest message is older than `cutoff`; the active segment always stays. */
  deleteOlderThan(cutoff: number): number {
    let deleted = 0;
    while (this.segments.length > 1) {
      const seg = this.segments[0]!;
      if (seg.count > 0 && this.storeTimeAt(seg.base + seg.count - 1) >= cutoff) break;
      closeSync(seg.fd);
      closeSync(seg.idxFd);
      unlinkSync(seg.logPath);
      unlinkSync(seg.idxPath);
      this.segments.shift();
      deleted++;
    }
    return deleted;
  }

  /** Writes pending index entries, then fdatasync of every segment written since the last flush. */
  async flush(): Promise<void> {
    const dirty = this.segments.filter((s) => s.dirty);
    for (const s of dirty) {
      s.dirty = false;
      writeIndex(s);
    }
    await Promise.all(dirty.flatMap((s) => [syncFd(s.fd), syncFd(s.idxFd)]));
  }

  close(): void {
    for (const s of this.segments) {
      writeIndex(s);
      closeSync(s.fd);
      closeSync(s.idxFd);
    }
    this.segments = [];
  }

  private segmentFor(offset: number): Segment | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid]!.base <= offset) lo = mid;
      else hi = mid - 1;
    }
    const seg = this.segments[lo];
    return seg && offset >= seg.base && offset < seg.base + seg.count ? seg : undefined;
  }

  private openSegment(base: number, create: boolean): Segment {
    const logPath = join(this.dir, `${segmentName(base)}.log`);
    const idxPath = join(this.dir, `${segmentName(base)}.idx`);
    const fd = openSync(logPath, create ? 'w+' : 'r+');
    const idxFd = openSync(idxPath, create ? 'w+' : (existsSync(idxPath) ? 'r+' : 'w+'));
    const seg: Segment = { base, logPath, idxPath, fd, idxFd, size: fstatSync(fd).size, positions: new Uint32Array(1024), count: 0, indexed: 0, dirty: false };
    if (!create) {
      const idxBytes = Buffer.allocUnsafe(Math.floor(fstatSync(idxFd).size / 4) * 4);
      readFully(idxFd, idxBytes, 0);
      for (let i = 0; i < idxBytes.length; i += 4) {
        const p = idxBytes.readUInt32BE(i);
        if (p >= seg.size) break;
        this.pushPosition(seg, p);
      }
      seg.indexed = seg.count;
    }
    return seg;
  }

  /**
   * Re-validates the indexed tail and scans forward for records the index missed; the first
   * record that fails its checks ends the log, and the files are cut there.
   */
  private recover(seg: Segment): RecoveryReport {
    let count = seg.count;
    let from = 0;
    while (count > 0) {
      const p = seg.positions[count - 1]!;
      const head = Buffer.allocUnsafe(Math.min(4, seg.size - p));
      readFully(seg.fd, head, p);
      const len = head.length === 4 ? head.readUInt32BE(0) : 0;
      const rec = Buffer.allocUnsafe(Math.max(0, Math.min(len, seg.size - p)));
      readFully(seg.fd, rec, p);
      if (validRecordLength(rec, 0, seg.base + count - 1) > 0) {
        from = p + len;
        break;
      }
      count--;
    }
    const tail = Buffer.allocUnsafe(seg.size - from);
    readFully(seg.fd, tail, from);
    let pos = 0;
    let recovered = 0;
    seg.count = count;
    for (;;) {
      const len = validRecordLength(tail, pos, seg.base + seg.count);
      if (len === 0) break;
      this.pushPosition(seg, from + pos);
      pos += len;
      recovered++;
    }
    const end = from + pos;
    const truncated = seg.size - end;
    if (truncated > 0) ftruncateSync(seg.fd, end);
    seg.size = end;
    const idx = Buffer.allocUnsafe(4 * seg.count);
    for (let i = 0; i < seg.count; i++) idx.writeUInt32BE(seg.positions[i]!, 4 * i);
    ftruncateSync(seg.idxFd, 0);
    writeFully(seg.idxFd, idx, 0);
    seg.indexed = seg.count;
    return { truncatedBytes: truncated, recoveredRecords: recovered };
  }

  private pushPosition(seg: Segment, p: number): void {
    if (seg.count === seg.positions.length) {
      const grown = new Uint32Array(seg.positions.length * 2);
      grown.set(seg.positions);
      seg.positions = grown;
    }
    seg.positions[seg.count++] = p;
  }
}

const endOf = (seg: Segment, i: number): number => (i + 1 < seg.count ? seg.positions[i + 1]! : seg.size);


/** Appends the index entries of `seg` not yet in its .idx file. */
function writeIndex(seg: Segment): void {
  if (seg.indexed >= seg.count) return;
  const idx = Buffer.allocUnsafe(4 * (seg.count - seg.indexed));
  for (let i = seg.indexed; i < seg.count; i++) idx.writeUInt32BE(seg.positions[i]!, 4 * (i - seg.indexed));
  writeFully(seg.idxFd, idx, seg.indexed * 4);
  seg.indexed = seg.count;
}

function writeFully(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

function readFully(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw new Error(`unexpected end of file reading ${buf.length} bytes at ${position}`);
    done += n;
  }
}

const syncFd = (fd: number): Promise<void> => new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
