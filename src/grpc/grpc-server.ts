import { Server, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import { loadMessagingService } from './proto.js';
import type { MessagingService } from './messaging-service.js';
import { allowLongDeadlines } from './long-deadlines.js';
import type { GrpcTls } from './tls.js';
import { GrpcPortListener, type GrpcTlsMode } from './grpc-port-listener.js';
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
 * What a request may carry beside its message body: a SendMessage's topic, ids, tag, keys and user properties take
 * a few KiB (the user properties, tag and keys at most 16 KiB), so with 1 MiB a body just over --max-message-size
 * still arrives whole and is answered MESSAGE_BODY_TOO_LARGE naming the limit, while grpc-js refuses anything
 * larger unread (RESOURCE_EXHAUSTED) instead of buffering it (its default cap, 4 MiB, would refuse a 4 MiB body).
 */
export const ENVELOPE_HEADROOM_BYTES = 1024 * 1024;

/**
 * The gRPC endpoint RocketMQ 5 clients connect to, over TLS (clients with `sslEnabled` on, the Java client's
 * default), plaintext, or both on one port, as `mode` says.
 */
export class GrpcServer {
  private readonly server: Server;
  private readonly port: GrpcPortListener;

  /** `guard` wraps the service's handlers (the ACL) when given; a request is received up to `maxMessageSize` plus the envelope. */
  constructor(service: MessagingService, private readonly log: Logger, maxMessageSize: number, mode: GrpcTlsMode, tls?: GrpcTls, guard?: (impl: UntypedServiceImplementation) => UntypedServiceImplementation, limits?: GrpcConnectionLimits) {
    if (!allowLongDeadlines()) log.warn('this grpc-js has no handleTimeoutHeader to patch: clients that open streams with deadlines past 24.8 days (the 5.x Java client) may fail at once');
    this.server = new Server({
      'grpc.max_receive_message_length': maxMessageSize + ENVELOPE_HEADROOM_BYTES,
      'grpc.max_concurrent_streams': MAX_CONCURRENT_STREAMS,
      'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
      'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
      ...(limits ? { 'grpc.max_connection_idle_ms': limits.idleTimeoutMs } : {}),
    });
    this.server.addService(loadMessagingService(), guard ? guard(service.implementation()) : service.implementation());
    this.port = new GrpcPortListener(this.server, mode, tls, log, limits && { gate: limits.gate, firstByteTimeoutMs: limits.idleTimeoutMs });
  }

  listen(host: string, port: number): Promise<number> {
    return this.port.listen(host, port);
  }

  /** Lets calls in progress finish for up to `graceMs`, then cuts the rest (held receives, telemetry streams). */
  async close(graceMs = 2000): Promise<void> {
    const portClosed = this.port.close();
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
    await portClosed;
  }
}
