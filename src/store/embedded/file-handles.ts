import { closeSync, constants, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * The store's files, opened on demand and kept open up to `maxOpen` at once, however many topics and queues there
 * are: past the bound the least recently used file is closed, and opened again at its next use. A file written
 * since its last fdatasync gets one before it is closed (a write error is then seen and the file kept open, not lost
 * with the descriptor); one with an fdatasync in flight stays open until it completes, so the bound can be passed
 * by those for a moment.
 */
export class FileHandles {
  /** Open files, least recently used first. */
  private readonly open = new Map<StoreFile, true>();

  constructor(private readonly maxOpen: number) {}

  get openCount(): number {
    return this.open.size;
  }

  /** A file of the store: `create` makes it empty (a new segment), otherwise it must exist or is made so. */
  file(path: string, create: boolean): StoreFile {
    const f = new StoreFile(this, path);
    f.openWith(constants.O_RDWR | constants.O_CREAT | (create ? constants.O_TRUNC : 0));
    return f;
  }

  /** Marks `f` as just used (it was open) or as newly open, closing others beyond the bound. */
  touched(f: StoreFile, reopened: boolean): void {
    this.open.delete(f);
    this.open.set(f, true);
    if (reopened) this.evictBeyondBound(f);
  }

  /** Closes `f` for good (its segment was deleted or its store closes). */
  forget(f: StoreFile): void {
    this.open.delete(f);
    f.closeNow();
  }

  private evictBeyondBound(keep: StoreFile): void {
    for (const f of this.open.keys()) {
      if (this.open.size <= this.maxOpen) return;
      if (f === keep || f.busy) continue;
      try {
        f.syncNowIfDirty();
      } catch {
        // Kept open and dirty: the next flush round retries its fdatasync and reports the error.
        continue;
      }
      this.open.delete(f);
      f.closeNow();
    }
  }
}

/** One file of the store, read and written at positions; its descriptor comes and goes with the LRU. */
export class StoreFile {
  private fd = -1;
  private inFlight = 0;
  /** Written since its last successful fdatasync. */
  dirty = false;

  constructor(private readonly handles: FileHandles, readonly path: string) {}

  get busy(): boolean {
    return this.inFlight > 0;
  }

  /** Opens the file (first use or reopening after eviction); `flags` O_RDWR unless told otherwise. */
  openWith(flags: number): void {
    this.fd = openSync(this.path, flags);
    this.handles.touched(this, true);
  }

  size(): number {
    return fstatSync(this.descriptor()).size;
  }

  write(buf: Buffer, position: number): void {
    const fd = this.descriptor();
    this.dirty = true;
    let done = 0;
    while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
  }

  read(buf: Buffer, position: number): void {
    const fd = this.descriptor();
    let done = 0;
    while (done < buf.length) {
      const n = readSync(fd, buf, done, buf.length - done, position + done);
      if (n === 0) throw new Error(`unexpected end of ${this.path} reading ${buf.length} bytes at ${position}`);
      done += n;
    }
  }

  truncate(length: number): void {
    ftruncateSync(this.descriptor(), length);
    this.dirty = true;
  }

  /**
   * fdatasync when written since the last one. The flag is cleared before the call, so a write made while it runs
   * marks the file again, and set again when it fails, so that the next round retries.
   */
  async sync(): Promise<void> {
    if (!this.dirty) return;
    const fd = this.descriptor();
    this.dirty = false;
    this.inFlight++;
    try {
      await new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      this.dirty = true;
      throw err;
    } finally {
      this.inFlight--;
    }
  }

  /** The synchronous fdatasync an eviction needs; throws (leaving the file dirty) when it fails. */
  syncNowIfDirty(): void {
    if (!this.dirty || this.fd < 0) return;
    fdatasyncSync(this.fd);
    this.dirty = false;
  }

  closeNow(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    closeSync(fd);
  }

  private descriptor(): number {
    if (this.fd < 0) this.openWith(constants.O_RDWR);
    else this.handles.touched(this, false);
    return this.fd;
  }
}
