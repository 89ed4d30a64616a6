import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { FrameDecoder } from './frame-decoder.js';
import { MalformedFrameError } from './errors.js';
import { decodeCommand, encodeCommand } from './header-codec.js';
import { isResponse, type RemotingCommand } from './remoting-command.js';
import { WriteCoalescer } from '../net/write-coalescer.js';

export class RemotingTimeoutError extends Error {
  override readonly name = 'RemotingTimeoutError';
}
export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
}

interface Pending {
  resolve: (cmd: RemotingCommand) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export interface RemotingConnectionEvents {
  request: [RemotingCommand];
  /** a frame or header could not be decoded; the connection is already being closed */
  protocolError: [Error];
  close: [];
}

/**
 * One TCP peer speaking RocketMQ remoting, in either role: incoming requests are emitted,
 * outgoing requests are correlated with their responses by `opaque`.
 */
export class RemotingConnection extends EventEmitter<RemotingConnectionEvents> {
  readonly remoteAddress: string;
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  private readonly writer: WriteCoalescer;

  constructor(readonly socket: Socket, maxFrameSize: number) {
    super();
    this.writer = new WriteCoalescer(socket);
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.decoder = new FrameDecoder(maxFrameSize);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.destroy());
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onClose());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(cmd: RemotingCommand): void {
    if (this.closed) return;
    for (const p of encodeCommand(cmd)) this.writer.write(p);
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
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.failProtocol(err as Error);
      return;
    }
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
      } else {
        this.emit('request', cmd);
      }
    }
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
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ConnectionClosedError(`connection to ${this.remoteAddress} closed`));
    }
    this.pending.clear();
    this.emit('close');
  }
}
