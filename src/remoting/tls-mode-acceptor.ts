import type { Socket } from 'node:net';
import { Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from '../logger.js';
import { serverOptions, type RemotingTls } from './tls-settings.js';

/** The first byte of a TLS record carrying a handshake (a ClientHello), as Apache RocketMQ's TlsModeHandler tests it. */
export const TLS_HANDSHAKE_BYTE = 0x16;
/** Netty's SslHandler default, which Apache RocketMQ's listeners use: a handshake not done by then is given up. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Apache RocketMQ's serverChannelMaxIdleTimeSeconds: a connection silent this long is closed. */
const FIRST_BYTE_TIMEOUT_MS = 120_000;

/** What a socket's first byte turned out to be, or why there was none. */
export type FirstByte = { byte: number } | { gone: 'closed' | 'timeout' };

/**
 * Waits for the socket's first byte without taking it: the chunk it came in is put back, and the socket is left
 * paused for whoever reads next. One byte decides (a ClientHello starts with 0x16), so a client that sends one
 * byte and then the rest is told apart as well as one that sends all at once.
 */
export function sniffFirstByte(socket: Socket, timeoutMs: number): Promise<FirstByte> {
  return new Promise((resolve) => {
    const finish = (result: FirstByte): void => {
      clearTimeout(timer);
      socket.off('data', onData).off('end', onGone).off('close', onGone).off('error', onGone);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      if (chunk.length === 0) return;
      socket.pause();
      socket.unshift(chunk);
      finish({ byte: chunk[0]! });
    };
    const onGone = (): void => finish({ gone: 'closed' });
    const timer = setTimeout(() => finish({ gone: 'timeout' }), timeoutMs);
    socket.on('data', onData).once('end', onGone).once('close', onGone).once('error', onGone);
  });
}

export interface TlsModeAcceptorOptions {
  /** how long a client may stay silent before its first byte (Apache's idle timeout by default) */
  firstByteTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  /** told of each connection closed for sending nothing before the first-byte timeout */
  onSilent?: () => void;
}

/**
 * Tells TLS clients from plaintext ones on a remoting listener by their first byte, as Apache RocketMQ's
 * tls.server.mode does: `disabled` closes TLS handshakes, `enforcing` closes plaintext clients, `permissive` takes
 * both; TLS clients are handed on once their handshake is done. Every connection closed here leaves one log line
 * (a debug one for a silent client).
 */
export class TlsModeAcceptor {
  private readonly tlsServer?: TlsServer;
  /**
   * Sockets not handed on yet, closed when the listener closes, by remote address: a TLS socket and the TCP socket
   * under it share it, and no two connections to one listener do.
   */
  private readonly waiting = new Map<string, Socket>();
  private readonly firstByteTimeoutMs: number;
  private readonly onSilent: () => void;

  constructor(
    private readonly log: Logger,
    private readonly tls: RemotingTls | undefined,
    private readonly ready: (socket: Socket) => void,
    options: TlsModeAcceptorOptions = {},
  ) {
    this.firstByteTimeoutMs = options.firstByteTimeoutMs ?? FIRST_BYTE_TIMEOUT_MS;
    this.onSilent = options.onSilent ?? (() => undefined);
    if (!tls) return;
    this.tlsServer = new TlsServer({ ...serverOptions(tls), handshakeTimeout: options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS });
    this.tlsServer.on('secureConnection', (secure) => this.secured(secure));
    this.tlsServer.on('tlsClientError', (err, secure) => {
      this.log.warn({ remote: remoteOf(secure), error: err.message }, 'closing connection: TLS handshake failed');
      secure.destroy();
    });
  }

  accept(socket: Socket): void {
    const remote = remoteOf(socket);
    // A reset before the socket is handed on (or under a TLS handshake, which reports its own) ends in 'close',
    // which is all that matters here; unheard, the error would end the process.
    socket.on('error', () => undefined);
    this.waiting.set(remote, socket);
    socket.once('close', () => {
      if (this.waiting.get(remote) === socket) this.waiting.delete(remote);
    });
    void sniffFirstByte(socket, this.firstByteTimeoutMs).then((first) => this.sort(socket, first));
  }

  /** Closes the connections still waiting for a first byte or a handshake. */
  close(): void {
    for (const socket of this.waiting.values()) socket.destroy();
    this.waiting.clear();
  }

  private sort(socket: Socket, first: FirstByte): void {
    const remote = remoteOf(socket);
    if ('gone' in first) {
      // An idle connection, quietly closed as an idle one later on is: a pool of them would fill the log.
      if (first.gone === 'timeout') {
        this.log.debug({ remote, timeoutMs: this.firstByteTimeoutMs }, 'closing connection: nothing received');
        this.onSilent();
      }
      socket.destroy();
      return;
    }
    if (first.byte === TLS_HANDSHAKE_BYTE) {
      if (!this.tlsServer) {
        this.log.warn({ remote }, 'closing connection: a TLS handshake on a plaintext port (--remoting-tls-mode is disabled)');
        socket.destroy();
        return;
      }
      this.tlsServer.emit('connection', socket);
      return;
    }
    if (this.tls?.mode === 'enforcing') {
      this.log.warn({ remote, firstByte: first.byte }, 'closing connection: a plaintext client on a TLS-only port (--remoting-tls-mode enforcing)');
      socket.destroy();
      return;
    }
    this.handOn(socket);
  }

  /**
   * Client certificates are checked here rather than by the TLS server, which would close a connection whose
   * certificate it rejected without a word: `require` wants one the CA signed, `optional` lets a client without a
   * certificate in but refuses one whose certificate the CA did not sign.
   */
  private secured(secure: TLSSocket): void {
    const clientAuth = this.tls?.clientAuth ?? 'none';
    const showed = Object.keys(secure.getPeerCertificate()).length > 0;
    if (clientAuth !== 'none' && !secure.authorized && (showed || clientAuth === 'require')) {
      const error = showed ? String(secure.authorizationError) : 'no client certificate';
      this.log.warn({ remote: remoteOf(secure), error }, 'closing connection: client certificate refused');
      secure.destroy();
      return;
    }
    this.handOn(secure);
  }

  private handOn(socket: Socket): void {
    this.waiting.delete(remoteOf(socket));
    this.ready(socket);
    socket.resume();
  }
}

const remoteOf = (socket: Socket): string => `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
