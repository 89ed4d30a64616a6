import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import { loadMessagingService } from './proto.js';
import type { MessagingService } from './messaging-service.js';
import { allowLongDeadlines } from './long-deadlines.js';
import type { GrpcTls } from './tls.js';
import type { ConnectionGate } from '../net/connection-gate.js';

/**
 * Calls one connection may have open at once. A RocketMQ 5 client keeps one telemetry stream and a receive per
 * queue it pulls from (each held up to its long-polling timeout) on one connection; a stream over this is refused
 * (REFUSED_STREAM), which gRPC clients retry.
 */
export const MAX_CONCURRENT_STREAMS = 1024;
/** A connection quiet this long is pinged, and closed when the ping is not answered in KEEPALIVE_TIMEOUT_MS: a peer gone without a word. */
const KEEPALIVE_TIME_MS = 60_000;
const KEEPALIVE_TIMEOUT_MS = 20_000;

/** What bounds the endpoint's connections: the limit shared with the remoting ports, and --client-idle-timeout. */
export interface GrpcConnectionLimits {
  gate?: ConnectionGate;
  /** a connection without a call open for this long is closed (grpc.max_connection_idle_ms) */
  idleTimeoutMs: number;
}

/**
 * The gRPC endpoint RocketMQ 5 clients connect to: TLS only when given a certificate and key (clients with
 * `sslEnabled` on, the Java client's default), plaintext otherwise (their `sslEnabled` must be off). It accepts the
 * TCP connections itself, so that they count against the gateway's one connection limit, and hands those it takes
 * to grpc-js.
 */
export class GrpcServer {
  private readonly server: Server;
  private listener?: NetServer;
  /** connections taken, so that one grpc-js has no session for yet (a TLS handshake under way) is closed at shutdown */
  private readonly sockets = new Set<Socket>();

  /** `guard` wraps the service's handlers (the ACL) when given. */
  constructor(service: MessagingService, private readonly log: Logger, private readonly tls?: GrpcTls, guard?: (impl: UntypedServiceImplementation) => UntypedServiceImplementation, private readonly limits?: GrpcConnectionLimits) {
    if (!allowLongDeadlines()) log.warn('this grpc-js has no handleTimeoutHeader to patch: clients that open streams with deadlines past 24.8 days (the 5.x Java client) may fail at once');
    this.server = new Server({
      'grpc.max_concurrent_streams': MAX_CONCURRENT_STREAMS,
      'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
      'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
      ...(limits ? { 'grpc.max_connection_idle_ms': limits.idleTimeoutMs } : {}),
    });
    this.server.addService(loadMessagingService(), guard ? guard(service.implementation()) : service.implementation());
  }

  listen(host: string, port: number): Promise<number> {
    const credentials = this.tls
      ? ServerCredentials.createSsl(null, [{ cert_chain: this.tls.cert, private_key: this.tls.key }], false)
      : ServerCredentials.createInsecure();
    const injector = this.server.createConnectionInjector(credentials);
    const gate = this.limits?.gate;
    const listener = (this.listener = createServer((socket) => {
      if (gate && !gate.admit(socket, 'grpc')) return;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      injector.injectConnection(socket);
    }));
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, host, () => {
        listener.off('error', reject);
        resolve((listener.address() as { port: number }).port);
      });
    });
  }

  /** Lets calls in progress finish for up to `graceMs`, then cuts the rest (held receives, telemetry streams). */
  async close(graceMs = 2000): Promise<void> {
    const listenerClosed = new Promise<void>((resolve) => (this.listener?.listening ? this.listener.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.log.debug('gRPC calls cut at shutdown');
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    // Sessions send their GOAWAY before their sockets close; a socket grpc-js has no session on goes after a second.
    await Promise.race([listenerClosed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    for (const socket of this.sockets) socket.destroy();
    await listenerClosed;
  }
}
