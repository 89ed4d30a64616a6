import { closeSync, existsSync, fdatasync, fstatSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { writeFileAtomically } from './atomic-file.js';
import { join } from 'node:path';
import { isDiskWriteError } from './disk-space.js';

type Entry = [group: string, topic: string, queueId: number, offset: number];

const COMPACT_AT_BYTES = 8 * 1024 * 1024;
/** Journal space kept allocated ahead of its end (zeros), so that commits find room on a full disk: thousands of them. */
const JOURNAL_RESERVE = 256 * 1024;

/**
 * Committed consumer offsets: a snapshot file plus a journal of changes since it. Each change is
 * written to the journal before the commit returns, so a killed process loses none. The journal
 * keeps room allocated ahead, so commits go on when the disk fills up; past that room the commit
 * still holds in memory, and the next flush writes a snapshot of all (retried until it succeeds).
 */
export class ConsumerOffsetTable {
  private readonly offsets = new Map<string, Entry>();
  private readonly snapshotPath: string;
  private readonly journalPath: string;
  private journalFd = -1;
  private journalSize = 0;
  /** Bytes of the journal file, its reserve of zeros included. */
  private journalAllocated = 0;
  private dirty = false;
  /** Changes the journal could not take: the next flush writes a snapshot instead. */
  private unjournaled = false;

  constructor(dir: string) {
    this.snapshotPath = join(dir, 'consumer-offsets.json');
    this.journalPath = join(dir, 'consumer-offsets.journal');
  }

  open(): void {
    if (existsSync(this.snapshotPath)) {
      for (const e of JSON.parse(readFileSync(this.snapshotPath, 'utf8')) as Entry[]) this.offsets.set(key(e[0], e[1], e[2]), e);
    }
    // Complete lines count; what follows the last one (the reserve, or a torn line the next write overwrites)
    // is kept as it is, and nothing is written that must succeed, so that the table opens on a full disk too.
    let valid = 0;
    if (existsSync(this.journalPath)) {
      const journal = readFileSync(this.journalPath);
      for (let start = 0, end = journal.indexOf(10); end >= 0; start = end + 1, end = journal.indexOf(10, start)) {
        let e: Entry;
        try {
          e = JSON.parse(journal.toString('utf8', start, end)) as Entry;
        } catch {
          break;
        }
        this.offsets.set(key(e[0], e[1], e[2]), e);
        valid = end + 1;
      }
    }
    this.journalFd = openSync(this.journalPath, existsSync(this.journalPath) ? 'r+' : 'w+');
    this.journalAllocated = fstatSync(this.journalFd).size;
    this.journalSize = valid;
    this.keepReserve(0);
  }

  get(group: string, topic: string, queueId: number): number | undefined {
    return this.offsets.get(key(group, topic, queueId))?.[3];
  }

  set(group: string, topic: string, queueId: number, offset: number): void {
    const k = key(group, topic, queueId);
    if (this.offsets.get(k)?.[3] === offset) return;
    const e: Entry = [group, topic, queueId, offset];
    this.offsets.set(k, e);
    const line = Buffer.from(JSON.stringify(e) + '\n');
    this.dirty = true;
    this.keepReserve(line.length);
    try {
      let done = 0;
      while (done < line.length) done += writeSync(this.journalFd, line, done, line.length - done, this.journalSize + done);
    } catch (err) {
      if (!isDiskWriteError(err)) throw err;
      // A part written is overwritten by the next line, or cut at the next open.
      this.unjournaled = true;
      return;
    }
    this.journalSize += line.length;
    if (this.journalSize > COMPACT_AT_BYTES) this.compactIfRoom();
  }

  /** Drops every entry `matches` selects; rare (topic or group deletion), so it rewrites the snapshot at once. */
  remove(matches: (group: string, topic: string) => boolean): void {
    let removed = false;
    for (const [k, e] of this.offsets) {
      if (!matches(e[0], e[1])) continue;
      this.offsets.delete(k);
      removed = true;
    }
    if (removed) this.compactIfRoom();
  }

  entries(): Entry[] {
    return [...this.offsets.values()];
  }

  /** fdatasync of the journal, or the snapshot that changes the journal missed need; a failure stays pending. */
  async flush(): Promise<void> {
    if (this.unjournaled) {
      this.compact();
      return;
    }
    if (!this.dirty) return;
    this.dirty = false;
    const fd = this.journalFd;
    try {
      await new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  /** Compacts when it can; on a full disk the journal (complete up to its last line) is kept as it is. */
  close(): void {
    this.compactIfRoom();
    closeSync(this.journalFd);
    this.journalFd = -1;
  }

  /** Extends the reserve when less than half of it is left after `need` more bytes; a full disk leaves it as it is. */
  private keepReserve(need: number): void {
    if (this.journalAllocated - this.journalSize - need >= JOURNAL_RESERVE / 2) return;
    const end = this.journalSize + need + JOURNAL_RESERVE;
    const zeros = Buffer.alloc(end - this.journalAllocated);
    try {
      let done = 0;
      while (done < zeros.length) done += writeSync(this.journalFd, zeros, done, zeros.length - done, this.journalAllocated + done);
      this.journalAllocated = end;
    } catch (err) {
      if (!isDiskWriteError(err)) throw err;
    }
  }

  private compactIfRoom(): void {
    try {
      this.compact();
    } catch (err) {
      if (!isDiskWriteError(err)) throw err;
    }
  }

  /** Writes a fresh snapshot (atomically, by rename, synced) and empties the journal. */
  private compact(): void {
    writeFileAtomically(this.snapshotPath, JSON.stringify(this.entries()));
    ftruncateSync(this.journalFd, 0);
    this.journalSize = 0;
    this.journalAllocated = 0;
    this.dirty = false;
    this.unjournaled = false;
    this.keepReserve(0);
  }
}

const key = (group: string, topic: string, queueId: number): string => `${group}\u0000${topic}\u0000${queueId}`;
