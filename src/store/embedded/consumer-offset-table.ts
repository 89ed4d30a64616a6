import { closeSync, existsSync, fdatasync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { writeFileAtomically } from './atomic-file.js';
import { join } from 'node:path';

type Entry = [group: string, topic: string, queueId: number, offset: number];

const COMPACT_AT_BYTES = 8 * 1024 * 1024;

/**
 * Committed consumer offsets: a snapshot file plus a journal of changes since it. Each change is
 * written to the journal before the commit returns, so a killed process loses none.
 */
export class ConsumerOffsetTable {
  private readonly offsets = new Map<string, Entry>();
  private readonly snapshotPath: string;
  private readonly journalPath: string;
  private journalFd = -1;
  private journalSize = 0;
  private dirty = false;

  constructor(dir: string) {
    this.snapshotPath = join(dir, 'consumer-offsets.json');
    this.journalPath = join(dir, 'consumer-offsets.journal');
  }

  open(): void {
    if (existsSync(this.snapshotPath)) {
      for (const e of JSON.parse(readFileSync(this.snapshotPath, 'utf8')) as Entry[]) this.offsets.set(key(e[0], e[1], e[2]), e);
    }
    if (existsSync(this.journalPath)) {
      for (const line of readFileSync(this.journalPath, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const e = JSON.parse(line) as Entry;
          this.offsets.set(key(e[0], e[1], e[2]), e);
        } catch {
          break;
        }
      }
    }
    this.compact();
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
    writeSync(this.journalFd, line, 0, line.length, this.journalSize);
    this.journalSize += line.length;
    this.dirty = true;
    if (this.journalSize > COMPACT_AT_BYTES) this.compact();
  }

  /** Drops every entry `matches` selects; rare (topic or group deletion), so it rewrites the snapshot at once. */
  remove(matches: (group: string, topic: string) => boolean): void {
    let removed = false;
    for (const [k, e] of this.offsets) {
      if (!matches(e[0], e[1])) continue;
      this.offsets.delete(k);
      removed = true;
    }
    if (removed) this.compact();
  }

  entries(): Entry[] {
    return [...this.offsets.values()];
  }

  async flush(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const fd = this.journalFd;
    await new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    this.compact();
    closeSync(this.journalFd);
    this.journalFd = -1;
  }

  /** Writes a fresh snapshot (atomically, by rename) and empties the journal. */
  private compact(): void {
    writeFileAtomically(this.snapshotPath, JSON.stringify(this.entries()));
    if (this.journalFd < 0) this.journalFd = openSync(this.journalPath, existsSync(this.journalPath) ? 'r+' : 'w+');
    ftruncateSync(this.journalFd, 0);
    this.journalSize = 0;
    this.dirty = false;
  }
}

const key = (group: string, topic: string, queueId: number): string => `${group}\u0000${topic}\u0000${queueId}`;
