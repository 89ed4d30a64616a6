import { mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { NewMessage, StoredMessage } from '../message-store.js';
import { decodeRecord, encodedSize, encodeProps, STORE_TIME_POS, validRecordLength, writeRecord } from './record-codec.js';
import type { FileHandles, StoreFile } from './file-handles.js';
import { isDiskWriteError } from './disk-space.js';

/**
 * One segment: `<base>.log` holds records back to back, `<base>.idx` one u32 position per
 * record, so offset → position is a direct lookup. Records are written before an append returns;
 * index entries at the next flush, since recovery rebuilds a lagging index from the records.
 */
interface Segment {
  base: number;
  log: StoreFile;
  idx: StoreFile;
  size: number;
  positions: Uint32Array;
  count: number;
  /** Index entries already written to `<base>.idx`; the rest are only in `positions`. */
  indexed: number;
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

  constructor(private readonly dir: string, private readonly segmentBytes: number, private readonly files: FileHandles) {}

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

  /** Writes `messages` at the end; returns the first one's offset and the bytes written. */
  append(messages: NewMessage[], storeTimestamp: number): { firstOffset: number; bytes: number } {
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
    try {
      seg.log.write(buf, seg.size);
    } catch (err) {
      // What part of the batch got written is cut again: the next append starts where this one did.
      try {
        seg.log.truncate(seg.size);
      } catch {
        // Recovery cuts it at the next start instead: it fails its CRC or its offset check.
      }
      throw err;
    }
    pos = seg.size;
    for (let i = 0; i < messages.length; i++) {
      this.pushPosition(seg, pos);
      pos += sizes[i]!;
    }
    seg.size += total;
    return { firstOffset: first, bytes: total };
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
    seg.log.read(buf, start);
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
    seg.log.read(b, seg.positions[offset - seg.base]! + STORE_TIME_POS);
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
      this.files.forget(seg.log);
      this.files.forget(seg.idx);
      unlinkSync(seg.log.path);
      unlinkSync(seg.idx.path);
      this.segments.shift();
      deleted++;
    }
    return deleted;
  }

  /**
   * Writes pending index entries, then fdatasync of every file written since its last one. A failure leaves what
   * failed pending for the next flush, and is thrown once all the rest has been tried.
   */
  async flush(): Promise<void> {
    const errors: unknown[] = [];
    for (const s of this.segments) {
      try {
        writeIndex(s);
      } catch (err) {
        errors.push(err);
      }
    }
    const synced = await Promise.allSettled(this.segments.flatMap((s) => [s.log.sync(), s.idx.sync()]));
    for (const r of synced) if (r.status === 'rejected') errors.push(r.reason);
    if (errors.length > 0) throw errors[0];
  }

  /** Releases the files; index entries that cannot be written now are rebuilt from the records at the next open. */
  close(): void {
    for (const s of this.segments) {
      try {
        writeIndex(s);
      } catch (err) {
        if (!isDiskWriteError(err)) throw err;
      }
      this.files.forget(s.log);
      this.files.forget(s.idx);
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
    const log = this.files.file(join(this.dir, `${segmentName(base)}.log`), create);
    const idx = this.files.file(join(this.dir, `${segmentName(base)}.idx`), create);
    const seg: Segment = { base, log, idx, size: log.size(), positions: new Uint32Array(1024), count: 0, indexed: 0 };
    if (!create) {
      const idxBytes = Buffer.allocUnsafe(Math.floor(idx.size() / 4) * 4);
      idx.read(idxBytes, 0);
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
   * record that fails its checks ends the log, and the files are cut there. Nothing is written that is
   * right already, so that a start on a full disk works: index entries that cannot be written stay
   * pending in memory for the flushes to retry.
   */
  private recover(seg: Segment): RecoveryReport {
    let count = seg.count;
    let from = 0;
    while (count > 0) {
      const p = seg.positions[count - 1]!;
      const head = Buffer.allocUnsafe(Math.min(4, seg.size - p));
      seg.log.read(head, p);
      const len = head.length === 4 ? head.readUInt32BE(0) : 0;
      const rec = Buffer.allocUnsafe(Math.max(0, Math.min(len, seg.size - p)));
      seg.log.read(rec, p);
      if (validRecordLength(rec, 0, seg.base + count - 1) > 0) {
        from = p + len;
        break;
      }
      count--;
    }
    const tail = Buffer.allocUnsafe(seg.size - from);
    seg.log.read(tail, from);
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
    if (truncated > 0) seg.log.truncate(end);
    seg.size = end;
    // The index's first `count` entries were right; anything after them is cut, and what the scan found is added.
    if (seg.idx.size() !== 4 * count) seg.idx.truncate(4 * count);
    seg.indexed = count;
    try {
      writeIndex(seg);
    } catch (err) {
      if (!isDiskWriteError(err)) throw err;
    }
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
  const count = seg.count;
  const idx = Buffer.allocUnsafe(4 * (count - seg.indexed));
  for (let i = seg.indexed; i < count; i++) idx.writeUInt32BE(seg.positions[i]!, 4 * (i - seg.indexed));
  seg.idx.write(idx, seg.indexed * 4);
  seg.indexed = count;
}
