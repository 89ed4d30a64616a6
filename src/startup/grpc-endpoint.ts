import type { GatewayConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../admin/gateway-metrics.js';
import { GrpcServer } from '../grpc/grpc-server.js';
import { MessagingService } from '../grpc/messaging-service.js';
import type { TelemetrySessions } from '../grpc/telemetry-sessions.js';
import type { RemotingEndpoint } from './remoting-endpoint.js';
import type { AclFile } from '../acl/acl-file.js';
import { guardMessaging } from '../acl/grpc-guard.js';
import type { ConnectionGate } from '../net/connection-gate.js';
import { selfSignedGrpcTls } from '../grpc/self-signed-certificate.js';
import type { GrpcTls } from '../grpc/tls.js';

export interface GrpcEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

/** The certificate given, or with TLS on and none given, one made now (as Apache's proxy makes one). */
async function grpcCertificate(config: GatewayConfig, advertisedHost: string, log: Logger): Promise<GrpcTls | undefined> {
  if (config.grpcTls || config.grpcTlsMode === 'disabled') return config.grpcTls;
  log.info({ mode: config.grpcTlsMode }, 'gRPC TLS with a self-signed certificate made at start (RocketMQ 5 clients do not verify it); --grpc-tls-cert and --grpc-tls-key give one, --grpc-tls-mode disabled turns TLS off');
  return selfSignedGrpcTls([advertisedHost, ...(config.host === '0.0.0.0' || config.host === '::' ? [] : [config.host])]);
}

/**
 * The RocketMQ 5 gRPC endpoint, or undefined when it is off. It speaks for the first slot's broker; while another
 * gateway owns that slot, clients are sent there.
 */
export async function startGrpcEndpoint(
  config: GatewayConfig,
  log: Logger,
  remoting: RemotingEndpoint,
  clients: TelemetrySessions,
  metrics: GatewayMetrics,
  gate: ConnectionGate,
  acl?: AclFile,
): Promise<GrpcEndpoint | undefined> {
  if (config.grpcPort === 0) return undefined;
  // A worker speaks for the slot it serves; routes name the other workers' endpoints for theirs.
  const workerSlot = config.store === 'pulsar' ? undefined : config.worker?.index;
  const own = workerSlot ?? 0;
  const first = remoting.brokers[own]!;
  const slotBrokers = workerSlot === undefined ? undefined : () => remoting.brokers.flatMap((b, slot) => {
    const grpcAddress = remoting.cluster.owner(slot)?.grpcAddress;
    return grpcAddress ? [{ name: b.ctx.settings.brokerName, grpcAddress }] : [];
  });
  let port: number | undefined;
  const server = new GrpcServer(new MessagingService(first.ctx, first.pops, first.transactions, clients, {
    advertisedHost: remoting.advertisedHost,
    grpcPort: () => port ?? config.grpcPort,
    // A retry waits as a 4.x retry does: the first one at delay level 3 (10 s), then one level further each time.
    retryDelaysMs: config.delayLevelsMs.slice(2),
    observe: (method, statusCode, ms) => metrics.grpcAnswered(method, statusCode, ms),
    servedElsewhere: () => !first.isOwned && (remoting.cluster.owner(own)?.grpcAddress ?? ''),
    slotBrokers,
  }), log, config.limits.maxMessageSize, config.grpcTlsMode, await grpcCertificate(config, remoting.advertisedHost, log), acl && ((impl) => guardMessaging(impl, acl)), {
    gate,
    idleTimeoutMs: config.limits.clientIdleTimeoutMs,
  });
  // Workers after the first take a port of their own: routes say where.
  const bindPort = config.worker?.index ? 0 : config.grpcPort;
  try {
    port = await server.listen(config.host, bindPort);
  } catch (err) {
    throw new Error(`gRPC endpoint cannot listen on ${config.host}:${config.grpcPort} (${(err as Error).message}); choose another --grpc-port, or 0 to turn it off`);
  }
  log.info({ host: config.host, port, tls: config.grpcTlsMode }, 'grpc listening');
  return { port, close: () => server.close() };
}
