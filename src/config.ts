import { DEFAULT_DELAY_LEVELS, parseDelayLevels } from './broker/delay-levels.js';
import type { GrpcTls } from './grpc/tls.js';
import type { GrpcTlsMode } from './grpc/grpc-port-listener.js';
import type { AdminAuthSettings } from './admin/admin-access-config.js';
import type { RemotingTls } from './remoting/tls-settings.js';
import type { TokenSource } from './pulsar/auth.js';
import type { PulsarTlsOptions } from './pulsar/tls.js';

/** Everything `rop` can be told, with the defaults `--help` prints. */
export interface GatewayConfig {
  host: string;
  port: number;
  /** port of the admin HTTP server (health, JSON API, metrics, dashboard); 0 means none */
  httpPort: number;
  /** who may use the admin HTTP server: bearer tokens of its two roles, and the Host names it answers for */
  adminAuth: AdminAuthSettings;
  /** port of the gRPC endpoint for RocketMQ 5 clients; 0 means none */
  grpcPort: number;
  /** certificate and key of the gRPC endpoint, which then speaks TLS only; plaintext without */
  grpcTls?: GrpcTls;
  /** TLS on the gRPC port; with TLS on and no certificate given, a self-signed one is made at start */
  grpcTlsMode: GrpcTlsMode;
  /** TLS on the remoting listeners (Apache RocketMQ's tls.server.mode permissive or enforcing); plaintext only without */
  remotingTls?: RemotingTls;
  /** Apache RocketMQ plain_acl.yml: when given, every request is checked against its accounts */
  aclFile?: string;
  /** host:port advertised in routes and message ids; defaults to host:port actually bound */
  advertisedAddress?: string;
  dataDir: string;
  store: 'embedded' | 'pulsar';
  /** pulsar://host:port of the cluster (store pulsar) */
  pulsarUrl: string;
  /** http://host:port or https://host:port of the cluster's admin REST API (store pulsar) */
  pulsarAdminUrl: string;
  /** how pulsar+ssl:// and https:// URLs check Pulsar's certificate */
  pulsarTls: PulsarTlsOptions;
  /** token sent to Pulsar (CommandConnect and admin REST); none means Pulsar without authentication */
  pulsarAuthToken?: TokenSource;
  /** tenant and namespace of RocketMQ topics without a client namespace */
  pulsarTenant: string;
  pulsarNamespace: string;
  /** tenant/namespace of the gateway's own tables */
  pulsarSystemNamespace: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  maxFrameSize: number;
  autoCreateTopics: boolean;
  /** Apache RocketMQ's enablePropertyFilter: SQL92 subscriptions are served (else refused, never dropped) */
  enablePropertyFilter: boolean;
  defaultQueues: number;
  flush: 'async' | 'sync';
  flushIntervalMs: number;
  segmentBytes: number;
  retentionHours: number;
  /** wait of each delay level in ms (`messageDelayLevel`) */
  delayLevelsMs: number[];
  /** Apache RocketMQ's transactionCheckInterval, transactionTimeOut and transactionCheckMax */
  transactionCheckIntervalMs: number;
  transactionTimeoutMs: number;
  transactionCheckMax: number;
  clusterName: string;
  brokerName: string;
  /** broker slots of a new cluster of gateways on one Pulsar (an existing one keeps its count) */
  clusterSlots: number;
  /** processes serving the gateway: one broker slot each on the embedded store, gateways of one cluster on Pulsar */
  workers: number;
  /** set in a worker process: which of the `count` workers it is */
  worker?: WorkerPlace;
  limits: GatewayLimits;
}

/** A worker's place among the processes of `--workers`. */
export interface WorkerPlace {
  index: number;
  count: number;
}

/**
 * What one client can take of the gateway, so that others keep being served (README, Limits). Apache RocketMQ's
 * broker is the anchor: maxMessageSize, serverChannelMaxIdleTimeSeconds, waitTimeMillsInSendQueue,
 * diskMaxUsedSpaceRatio.
 */
export interface GatewayLimits {
  /** largest message body taken, on every protocol */
  maxMessageSize: number;
  /** a connection that sends nothing for this long is closed */
  clientIdleTimeoutMs: number;
  /** a frame started must be complete within this, or its connection is closed */
  frameTimeoutMs: number;
  /** connections on all client ports together; one more is closed at once */
  maxConnections: number;
  /** topics the gateway holds; auto-creation past it is refused */
  maxTopics: number;
  /** files the embedded store keeps open at once (least recently used closed first) */
  maxOpenFiles: number;
  /** a send or pull that waited longer than this before it could start is answered busy at once */
  maxSendWaitMs: number;
  /** percent of the data directory's file system above which sends are refused */
  diskMaxUsedRatio: number;
}

export const defaultConfig: GatewayConfig = {
  host: '127.0.0.1',
  port: 9876,
  httpPort: 8080,
  adminAuth: { metricsAuth: false, insecure: false },
  grpcPort: 8081,
  grpcTlsMode: 'permissive',
  dataDir: './data',
  store: 'embedded',
  pulsarUrl: 'pulsar://127.0.0.1:6650',
  pulsarAdminUrl: 'http://127.0.0.1:8080',
  // On by default, unlike Pulsar's Java client (tlsHostnameVerificationEnable=false): a CA-signed certificate
  // for any other host would otherwise be accepted, and the token sent to it.
  pulsarTls: { verifyHostname: true },
  pulsarTenant: 'rocketmq',
  pulsarNamespace: 'default',
  pulsarSystemNamespace: 'rocketmq/__rocketmq',
  logLevel: 'info',
  maxFrameSize: 16 * 1024 * 1024,
  autoCreateTopics: true,
  enablePropertyFilter: true,
  defaultQueues: 4,
  flush: 'async',
  flushIntervalMs: 500,
  segmentBytes: 128 * 1024 * 1024,
  retentionHours: 72,
  delayLevelsMs: parseDelayLevels(DEFAULT_DELAY_LEVELS),
  transactionCheckIntervalMs: 60_000,
  transactionTimeoutMs: 6000,
  transactionCheckMax: 15,
  clusterName: 'DefaultCluster',
  brokerName: 'rop-broker',
  clusterSlots: 1,
  workers: 1,
  limits: {
    maxMessageSize: 4 * 1024 * 1024,
    clientIdleTimeoutMs: 120_000,
    frameTimeoutMs: 30_000,
    maxConnections: 10_000,
    maxTopics: 10_000,
    maxOpenFiles: 1024,
    maxSendWaitMs: 200,
    diskMaxUsedRatio: 90,
  },
};

/**
 * Ranges of the numeric settings that can also change while the gateway runs: the command line, ROP_* variables,
 * the config file and UPDATE_BROKER_CONFIG check them alike.
 */
export const SETTING_RANGES = {
  defaultQueues: [1, 1024],
  transactionCheckIntervalMs: [100, 3_600_000],
  transactionTimeoutMs: [0, 3_600_000],
  transactionCheckMax: [1, 1000],
} as const satisfies Record<string, readonly [number, number]>;

/** A whole number from `min` to `max`; anything else is an Error saying what was expected. */
export function wholeNumber(value: string, [min, max]: readonly [number, number]): number {
  if (!/^\d+$/.test(value)) throw new Error(`expected a whole number, got ${JSON.stringify(value)}`);
  const n = Number(value);
  if (n < min || n > max) throw new Error(`expected a number from ${min} to ${max}, got ${n}`);
  return n;
}
