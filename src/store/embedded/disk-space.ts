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

/** Percent of the file system in use, as `df` reports it: used blocks over those an unprivileged writer can reach. */
const usedPercentOf = (s: StatsFs): number => {
  const used = s.blocks - s.bfree;
  const reachable = used + s.bavail;
  return reachable > 0 ? (used * 100) / reachable : 0;
};

/**
 * How full the data directory's file system is, measured every `intervalMs` (one statfs, not one per send). Above
 * `limitPercent` (Apache RocketMQ's diskMaxUsedSpaceRatio) new messages from clients are refused, so that what the
 * gateway must still write itself (delayed messages falling due, commits, the key index, offsets) finds room.
 */
export class DiskSpaceMonitor {
  private percent = 0;
  private timer?: NodeJS.Timeout;
  private statFailed = false;

  constructor(private readonly dir: string, private readonly limitPercent: number, private readonly intervalMs: number, private readonly log: Logger) {}

  get usedPercent(): number {
    return this.percent;
  }

  get overLimit(): boolean {
    return this.percent > this.limitPercent;
  }

  start(): void {
    try {
      this.update(usedPercentOf(statfsSync(this.dir)));
    } catch (err) {
      this.statFailedOnce(err);
    }
    this.timer = setInterval(() => statfs(this.dir, (err, s) => (err ? this.statFailedOnce(err) : this.update(usedPercentOf(s)))), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Throws the client's answer while the disk is over its limit. */
  ensureRoom(): void {
    if (!this.overLimit) return;
    throw new BrokerError('disk-full', `the broker's disk is full: ${this.percent.toFixed(1)}% used, over the limit of ${this.limitPercent}% (disk-max-used-ratio); messages are refused until space is freed`);
  }

  private update(percent: number): void {
    const was = this.overLimit;
    this.percent = percent;
    this.statFailed = false;
    if (this.overLimit && !was) this.log.warn({ dataDir: this.dir, usedPercent: round(percent), limitPercent: this.limitPercent }, 'disk over its limit: new messages are refused until space is freed');
    if (!this.overLimit && was) this.log.info({ dataDir: this.dir, usedPercent: round(percent), limitPercent: this.limitPercent }, 'disk back under its limit: new messages are taken again');
  }

  private statFailedOnce(err: unknown): void {
    if (this.statFailed) return;
    this.statFailed = true;
    this.log.warn({ dataDir: this.dir, code: (err as NodeJS.ErrnoException).code, reason: (err as Error).message }, 'cannot measure the data directory\'s disk; its last measure stands');
  }
}

const round = (n: number): number => Math.round(n * 10) / 10;

/**
 * A run of failures of one kind of write, reported once when it starts and once when a write succeeds again, with
 * how many failed meanwhile, instead of a line for each.
 */
export class FailureEpisode {
  private failures = 0;
  total = 0;

  constructor(private readonly log: Logger, private readonly what: string) {}

  failed(err: unknown, context: Record<string, unknown> = {}): void {
    this.total++;
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
