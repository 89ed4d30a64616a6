import type { ExpiryReason } from './connection-gate.js';

export interface DeadlineSettings {
  /** a connection that reads and writes nothing for this long, with nothing in progress, is closed */
  idleMs: number;
  /** a frame whose first bytes arrived must be complete within this */
  frameMs: number;
}

/**
 * The two clocks of a client connection. Idle, as Apache's IdleStateHandler(0, 0, serverChannelMaxIdleTimeSeconds)
 * counts it: neither a read nor a write for `idleMs`; a request still being processed (a held pull) keeps the
 * connection busy, and its answer is the write that starts the clock again. Frame: a frame begun must end within
 * `frameMs`, however its bytes trickle in. Each clock is one timer that is not reset on every byte: when it fires it
 * looks at the time of the last activity and sleeps again for what is left.
 */
export class ConnectionDeadlines {
  private lastActive = Date.now();
  /** when the frame being received began, 0 when none is (or its clock is held) */
  private frameStartedAt = 0;
  private idleTimer?: NodeJS.Timeout;
  private frameTimer?: NodeJS.Timeout;

  constructor(private readonly settings: DeadlineSettings, private readonly busy: () => boolean, private readonly expire: (reason: ExpiryReason) => void) {
    this.idleTimer = setTimeout(this.checkIdle, settings.idleMs).unref();
  }

  /** Bytes were read, or written. */
  active(): void {
    this.lastActive = Date.now();
  }

  /** A frame is partly received; its clock starts unless it already runs. */
  frameBegun(): void {
    if (this.frameStartedAt !== 0) return;
    this.frameStartedAt = Date.now();
    this.frameTimer ??= setTimeout(this.checkFrame, this.settings.frameMs).unref();
  }

  /** No frame is partly received, or reading is paused and the one that is waits on the gateway, not the client. */
  frameEnded(): void {
    this.frameStartedAt = 0;
  }

  stop(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.frameTimer);
    this.idleTimer = this.frameTimer = undefined;
  }

  private readonly checkIdle = (): void => {
    this.idleTimer = undefined;
    if (this.busy()) this.active();
    const left = this.lastActive + this.settings.idleMs - Date.now();
    if (left <= 0) {
      this.expire('idle');
      return;
    }
    this.idleTimer = setTimeout(this.checkIdle, left).unref();
  };

  private readonly checkFrame = (): void => {
    this.frameTimer = undefined;
    if (this.frameStartedAt === 0) return;
    const left = this.frameStartedAt + this.settings.frameMs - Date.now();
    if (left <= 0) {
      this.expire('frame_timeout');
      return;
    }
    this.frameTimer = setTimeout(this.checkFrame, left).unref();
  };
}
