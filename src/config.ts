/** Everything `rop` can be told, with the defaults `--help` prints. */
export interface GatewayConfig {
  host: string;
  port: number;
  /** host:port advertised in routes and message ids; defaults to host:port actually bound */
  advertisedAddress?: string;
  dataDir: string;
  store: 'embedded';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  maxFrameSize: number;
  autoCreateTopics: boolean;
  defaultQueues: number;
  flush: 'async' | 'sync';
  flushIntervalMs: number;
  segmentBytes: number;
  retentionHours: number;
  clusterName: string;
  brokerName: string;
}

export const defaultConfig: GatewayConfig = {
  host: '127.0.0.1',
  port: 9876,
  dataDir: './data',
  store: 'embedded',
  logLevel: 'info',
  maxFrameSize: 16 * 1024 * 1024,
  autoCreateTopics: true,
  defaultQueues: 4,
  flush: 'async',
  flushIntervalMs: 500,
  segmentBytes: 128 * 1024 * 1024,
  retentionHours: 72,
  clusterName: 'DefaultCluster',
  brokerName: 'rop-broker',
};
