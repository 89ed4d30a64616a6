import { statfs, statfsSync, type StatsFs } from 'node:fs';
import type { Logger } from '../../logger.js';
import { BrokerError } from '../../errors/broker-error.js';

/** Error codes of a write the disk refused: no room, or the device failing. */
const DISK_WRITE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS']);

export const isDiskWriteError = (err: unknown): err is NodeJS.ErrnoException =>
  DISK_WRITE_ERRORS.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');

/** What a client is told when a write of its message failed on the disk (Apache: SERVICE_NOT_AVAILABLE). */
export const diskWriteRefusal = (err: NodeJS.ErrnoException): BrokerError =>
  new BrokerError('disk-full', err.code === 'ENOSPC' || err.code === 'EDQUOT'
    ? 'the broker\'s disk is full (no space left on device); messages are refused until space is freed'
    : `the broker's disk failed a write (${err.code}); messages are refused until writes succeed again`);

/** Bytes of the file system in use and in reach, as `df` counts them: used blocks, and those plus the ones an unprivileged writer may still take. */
const spaceOf = (s: StatsFs): { used: number; reachable: number } => ({ used: (s.blocks - s.bfree) * s.bsize, reachable: (s.blocks - s.bfree + s.bavail) * s.bsize });

/**
 * How full the data directory's file system is: measured every `intervalMs` (one statfs, not one per send), plus what
 * the store wrote since, so that a burst of sends cannot run past the limit between two measures. Above
 * `limitPercent` (Apache RocketMQ's diskMaxUsedSpaceRatio) new messages from clients are refused, so that what the
 * gateway must still write itself (delayed messages falling due, commits, the key index, offsets) finds room.
 */
export class DiskSpaceMonitor {
  private used = 0;
  private reachable = 0;
  private writtenSinceMeasure = 0;
  private over = false;
  private timer?: NodeJS.Timeout;
  private statFailed = false;

  constructor(private readonly dir: string, private readonly limitPercent: number, private readonly intervalMs: number, private readonly log: Logger) {}

  get usedPercent(): number {
    return this.reachable > 0 ? Math.min(100, ((this.used + this.writtenSinceMeasure) * 100) / this.reachable) : 0;
  }

  get overLimit(): boolean {
    return this.over;
  }

  start(): void {
    try {
      this.update(spaceOf(statfsSync(this.dir)));
    } catch (err) {
      this.statFailedOnce(err);
    }
    this.timer = setInterval(() => this.measure(), this.intervalMs);
    this.timer.unref();
  }

  private measure(): void {
    // Writes made while statfs runs may be missed by it: they stay counted (a few counted twice is on the safe side).
    const counted = this.writtenSinceMeasure;
    statfs(this.dir, (err, s) => {
      if (err) return this.statFailedOnce(err);
      this.writtenSinceMeasure -= counted;
      this.update(spaceOf(s));
    });
  }

  /** The store wrote `bytes`: counted until the next measure sees them. */
  noteWritten(bytes: number): void {
    this.writtenSinceMeasure += bytes;
    if (!this.over) this.judge();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Throws the client's answer while the disk is over its limit. */
  ensureRoom(): void {
    if (!this.overLimit) return;
    throw new BrokerError('disk-full', `the broker's disk is full: ${this.usedPercent.toFixed(1)}% used, over the limit of ${this.limitPercent}% (disk-max-used-ratio); messages are refused until space is freed`);
  }

  private update(space: { used: number; reachable: number }): void {
    this.used = space.used;
    this.reachable = space.reachable;
    this.statFailed = false;
    this.judge();
  }

  /** Refusals end a point under the limit, so that use hovering at the limit does not flip them on and off. */
  private judge(): void {
    const over = this.usedPercent > this.limitPercent - (this.over ? HYSTERESIS_PERCENT : 0);
    if (over === this.over) return;
    this.over = over;
    const fields = { dataDir: this.dir, usedPercent: round(this.usedPercent), limitPercent: this.limitPercent };
    if (over) this.log.warn(fields, 'disk over its limit: new messages are refused until space is freed');
    else this.log.info(fields, 'disk back under its limit: new messages are taken again');
  }

  private statFailedOnce(err: unknown): void {
    if (this.statFailed) return;
    this.statFailed = true;
    this.log.warn({ dataDir: this.dir, code: (err as NodeJS.ErrnoException).code, reason: (err as Error).message }, 'cannot measure the data directory\'s disk; its last measure stands');
  }
}

const HYSTERESIS_PERCENT = 1;

const round = (n: number): number => Math.round(n * 10) / 10;

/**
 * A run of failures of one kind of write, reported once when it starts and once when a write succeeds again, with
 * how many failed meanwhile, instead of a line for each.
 */
export class FailureEpisode {
  private failures = 0;
  private failuresEver = 0;

  constructor(private readonly log: Logger, private readonly what: string) {}

  /** Failures since start. */
  get total(): number {
    return this.failuresEver;
  }

  failed(err: unknown, context: Record<string, unknown> = {}): void {
    this.failuresEver++;
    if (this.failures++ > 0) return;
    const e = err as NodeJS.ErrnoException;
    this.log.warn({ ...context, code: e.code, reason: e.message }, `${this.what} failed (further failures are counted, not logged, until one succeeds)`);
  }

  succeeded(): void {
    if (this.failures === 0) return;
    this.log.info({ failures: this.failures }, `${this.what} succeeds again`);
    this.failures = 0;
  }
}
