import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { ServerCredentials, type ConnectionInjector, type Server } from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import { listenOn } from '../net/listen.js';
import { sniffFirstByte, TLS_HANDSHAKE_BYTE, type FirstByte } from '../remoting/tls-mode-acceptor.js';
import type { GrpcTls } from './tls.js';
import type { ConnectionGate } from '../net/connection-gate.js';

/** TLS on the gRPC port, as the remoting port's modes and Apache's proxy (which serves both on one port by default). */
export const GRPC_TLS_MODES = ['disabled', 'permissive', 'enforcing'] as const;
export type GrpcTlsMode = (typeof GRPC_TLS_MODES)[number];

/** A client silent this long before its first byte is let go (HTTP/2 clients speak first, at once). */
const FIRST_BYTE_TIMEOUT_MS = 30_000;

/** What bounds the port's connections: the limit shared with the remoting ports, and a shorter first-byte wait. */
export interface GrpcPortLimits {
  gate?: ConnectionGate;
  /** used when below FIRST_BYTE_TIMEOUT_MS (an idle timeout set shorter) */
  firstByteTimeoutMs?: number;
}

/**
 * The gRPC port: a TCP listener of its own that tells TLS clients from plaintext ones by their first byte (a
 * ClientHello starts with 0x16) and hands each to the grpc-js server over the credentials it speaks, so one port
 * serves RocketMQ 5 clients with TLS on (the Java client's default) and off.
 */
export class GrpcPortListener {
  private readonly listener: NetServer;
  private readonly plain?: ConnectionInjector;
  private readonly secure?: ConnectionInjector;
  private readonly waiting = new Set<Socket>();
  private readonly firstByteTimeoutMs: number;

  constructor(grpc: Server, private readonly mode: GrpcTlsMode, tls: GrpcTls | undefined, private readonly log: Logger, private readonly limits: GrpcPortLimits = {}) {
    this.firstByteTimeoutMs = Math.min(FIRST_BYTE_TIMEOUT_MS, limits.firstByteTimeoutMs ?? FIRST_BYTE_TIMEOUT_MS);
    if (mode !== 'enforcing') this.plain = grpc.createConnectionInjector(ServerCredentials.createInsecure());
    if (mode !== 'disabled') {
      if (!tls) throw new Error(`--grpc-tls-mode ${mode} needs a certificate and key`);
      this.secure = grpc.createConnectionInjector(ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false));
    }
    this.listener = createServer((socket) => this.accept(socket));
  }

  listen(host: string, port: number): Promise<number> {
    return listenOn(this.listener, host, port);
  }

  /** Stops taking connections and drops those not handed on yet; the grpc-js server closes the rest. */
  close(): Promise<void> {
    for (const socket of this.waiting) socket.destroy();
    this.waiting.clear();
    return new Promise((resolve) => this.listener.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    if (this.limits.gate && !this.limits.gate.admit(socket, 'grpc')) return;
    socket.on('error', () => undefined);
    this.waiting.add(socket);
    socket.once('close', () => this.waiting.delete(socket));
    void sniffFirstByte(socket, this.firstByteTimeoutMs).then((first) => this.sort(socket, first));
  }

  private sort(socket: Socket, first: FirstByte): void {
    this.waiting.delete(socket);
    if ('gone' in first) {
      socket.destroy();
      return;
    }
    const injector = first.byte === TLS_HANDSHAKE_BYTE ? this.secure : this.plain;
    if (!injector) {
      const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
      const why = first.byte === TLS_HANDSHAKE_BYTE ? 'a TLS handshake on a plaintext gRPC port (--grpc-tls-mode disabled)' : `a plaintext client on a TLS-only gRPC port (--grpc-tls-mode ${this.mode})`;
      this.log.warn({ remote }, `closing connection: ${why}`);
      socket.destroy();
      return;
    }
    injector.injectConnection(socket);
    socket.resume();
  }
}
