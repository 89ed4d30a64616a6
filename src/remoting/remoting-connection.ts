import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { ASSEMBLE_FROM, FrameDecoder } from './frame-decoder.js';
import { MalformedFrameError } from './errors.js';
import { decodeCommand, encodeCommand } from './header-codec.js';
import { isResponse, type RemotingCommand } from './remoting-command.js';
import { WriteCoalescer } from '../net/write-coalescer.js';
import { ConnectionDeadlines, type DeadlineSettings } from '../net/connection-deadlines.js';
import type { ExpiryReason } from '../net/connection-gate.js';
import { memoryLetGo } from '../net/memory-let-go.js';

export class RemotingTimeoutError extends Error {
  override readonly name = 'RemotingTimeoutError';
}
export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
}

/**
 * Requests one connection has being processed at once. A 4.x client instance pulls every queue it is assigned over
 * one connection, each pull held up to its suspend time, so this is far above a consumer's queue count; a client
 * pipelining more waits for some to be answered before the gateway reads more of what it sent.
 */
export const MAX_IN_FLIGHT = 1024;
/** Bytes of answers a connection may have waiting to be sent before the gateway stops reading from it: 16 full pulls. */
export const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

interface Pending {
  resolve: (cmd: RemotingCommand) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** How the serving side of a connection (the gateway's) takes requests. */
export interface ServingOptions {
  /** processes one request, resolving once it is answered or dropped */
  handle: (request: RemotingCommand) => Promise<void>;
  /** requests processed at once (MAX_IN_FLIGHT by default); reading pauses at this many */
  maxInFlight?: number;
  /** answers' bytes waiting to be sent above which reading pauses until they are all sent (MAX_UNSENT_BYTES) */
  maxUnsentBytes?: number;
  /** the idle and frame deadlines; none without */
  deadlines?: DeadlineSettings;
}

export interface RemotingConnectionEvents {
  /** a frame or header could not be decoded; the connection is already being closed */
  protocolError: [Error];
  /** one of the deadlines passed; the connection is already being closed */
  expired: [ExpiryReason];
  close: [];
}

/**
 * One TCP peer speaking RocketMQ remoting, in either role: requests are handed to the serving options' `handle`,
 * outgoing requests are correlated with their responses by `opaque`. A serving connection reads only while it has
 * room: fewer than `maxInFlight` requests in progress and its answers flowing out, so a client that pipelines
 * requests and never reads the answers stalls itself instead of growing the gateway's buffers.
 */
export class RemotingConnection extends EventEmitter<RemotingConnectionEvents> {
  readonly remoteAddress: string;
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private readonly writer: WriteCoalescer;
  /** requests decoded while reading was already to pause, started as room frees up */
  private readonly queued: RemotingCommand[] = [];
  private inFlight = 0;
  private paused = false;
  private readonly maxInFlight: number;
  private readonly maxUnsentBytes: number;
  private readonly deadlines?: ConnectionDeadlines;
  /** unsent bytes when the idle clock last looked, to tell answers being read slowly from answers not read at all */
  private unsentWhenLooked = 0;

  constructor(readonly socket: Socket, maxFrameSize: number, private readonly serving?: ServingOptions) {
    super();
    this.writer = new WriteCoalescer(socket);
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.decoder = new FrameDecoder(maxFrameSize);
    this.maxInFlight = serving?.maxInFlight ?? MAX_IN_FLIGHT;
    this.maxUnsentBytes = serving?.maxUnsentBytes ?? MAX_UNSENT_BYTES;
    if (serving?.deadlines) {
      this.deadlines = new ConnectionDeadlines(serving.deadlines, () => this.busy(), (reason) => this.expire(reason));
    }
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => this.destroy());
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onClose());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** True while the gateway does not read from this peer (too much in progress or unsent). */
  get readingPaused(): boolean {
    return this.paused;
  }

  send(cmd: RemotingCommand): void {
    if (this.closed) return;
    for (const p of encodeCommand(cmd)) this.writer.write(p);
    this.deadlines?.active();
    if (this.serving && this.socket.writableLength >= this.maxUnsentBytes) this.updateReading();
  }

  /** Sends a request and resolves with the response carrying the same opaque. */
  invoke(cmd: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    if (this.closed) return Promise.reject(new ConnectionClosedError(`connection to ${this.remoteAddress} is closed`));
    return new Promise<RemotingCommand>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(cmd.opaque);
        reject(new RemotingTimeoutError(`no response to request code ${cmd.code} from ${this.remoteAddress} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(cmd.opaque, { resolve, reject, timer });
      this.send(cmd);
    });
  }

  /** Closes after what was written is flushed. */
  end(): void {
    if (!this.closed) this.socket.end();
  }

  destroy(): void {
    if (!this.closed) this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.deadlines?.active();
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.failProtocol(err as Error);
      return;
    }
    if (frames.length > 0 || this.decoder.pending === 0) this.deadlines?.frameEnded();
    if (this.decoder.pending > 0) this.deadlines?.frameBegun();
    for (const frame of frames) {
      if (this.closed) return;
      let cmd: RemotingCommand;
      try {
        cmd = decodeCommand(frame);
      } catch (err) {
        this.failProtocol(err as Error);
        return;
      }
      if (isResponse(cmd)) {
        const p = this.pending.get(cmd.opaque);
        if (p) {
          this.pending.delete(cmd.opaque);
          clearTimeout(p.timer);
          p.resolve(cmd);
        }
      } else if (this.serving) {
        this.queued.push(cmd);
      }
    }
    if (this.queued.length > 0) this.startQueued();
  }

  /** Starts queued requests while there is room, then reads on or pauses as the room left says. */
  private startQueued(): void {
    while (this.queued.length > 0 && !this.closed && this.hasRoom()) {
      const request = this.queued.shift()!;
      this.inFlight++;
      const finished = (): void => {
        this.inFlight--;
        this.startQueued();
      };
      this.serving!.handle(request).then(finished, finished);
    }
    this.updateReading();
  }

  /** Requests are in progress, or answers went out since the idle clock last looked (a slow reader is no idle one). */
  private busy(): boolean {
    const unsent = this.socket.writableLength;
    const sending = unsent > 0 && unsent !== this.unsentWhenLooked;
    this.unsentWhenLooked = unsent;
    return sending || this.inFlight > 0 || this.queued.length > 0;
  }

  private hasRoom(): boolean {
    return this.inFlight < this.maxInFlight && this.socket.writableLength < this.maxUnsentBytes;
  }

  private updateReading(): void {
    const hold = this.queued.length > 0 || !this.hasRoom();
    if (hold === this.paused || this.closed) return;
    this.paused = hold;
    if (hold) {
      this.socket.pause();
      // The rest of a frame begun waits in the socket's buffers on the gateway, not on the client.
      this.deadlines?.frameEnded();
    } else {
      this.socket.resume();
      if (this.decoder.pending > 0) this.deadlines?.frameBegun();
    }
  }

  /** Everything written was sent: the peer reads its answers. */
  private onDrain(): void {
    this.deadlines?.active();
    if (this.serving) this.startQueued();
  }

  private expire(reason: ExpiryReason): void {
    if (this.closed) return;
    this.emit('expired', reason);
    this.destroy();
  }

  /** The peer finished sending; bytes still buffered are a frame it never completed. */
  private onEnd(): void {
    if (this.decoder.pending > 0) {
      this.failProtocol(new MalformedFrameError(`peer closed the connection inside a frame (${this.decoder.pending} bytes of it received)`));
    }
  }

  private failProtocol(err: Error): void {
    this.emit('protocolError', err);
    this.destroy();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.deadlines?.stop();
    this.queued.length = 0;
    // Requests still held (a pull) keep this connection object alive; the frame it never finished need not wait.
    const unfinished = this.decoder.pending;
    this.decoder.clear();
    if (unfinished >= ASSEMBLE_FROM) memoryLetGo(unfinished);
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ConnectionClosedError(`connection to ${this.remoteAddress} closed`));
    }
    this.pending.clear();
    this.emit('close');
  }
}
