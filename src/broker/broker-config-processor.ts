import { resolve } from 'node:path';
import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import type { RemotingConnection } from '../remoting/remoting-connection.js';
import { BrokerError } from '../errors/broker-error.js';
import { ResponseCode } from '../protocol/request-code.js';
import { formatJavaProperties, parseJavaProperties } from '../protocol/java-properties.js';
import { SETTING_RANGES, wholeNumber, type GatewayConfig } from '../config.js';
import { formatDelayLevels } from './delay-levels.js';
import type { BrokerContext } from './broker-context.js';
import type { TransactionSettings } from './transaction-service.js';

/** What the gateway was started with, and the parts of it that stay shared with the services using them. */
export interface BrokerConfigSources {
  config: GatewayConfig;
  /** the remoting port actually bound (the configured one may be 0) */
  listenPort: number;
  /** the object TransactionService reads at each check round, so a change applies from the next one */
  transactions: TransactionSettings;
}

interface Setting {
  key: string;
  value(): string;
  /** Checks a new value and returns what applies it; absent for settings fixed once the gateway runs. */
  check?(raw: string): () => void;
  /** why a fixed setting cannot change, told when an update names it */
  fixedBecause?: string;
}

const RW_PERM = 6;

/** The CLI's reading of a boolean setting (flags, ROP_* variables, the config file): true or false, nothing else. */
function bool(raw: string): boolean {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new Error(`expected true or false, got ${JSON.stringify(raw)}`);
}

/**
 * GET_BROKER_CONFIG and UPDATE_BROKER_CONFIG (and the same for the name-server role, GET_NAMESRV_CONFIG and
 * UPDATE_NAMESRV_CONFIG, as both roles are this one process): the effective settings as `key=value` lines, under
 * Apache RocketMQ's names where it has the setting and the gateway's option names where it does not. An update
 * changes what the gateway can change while running; one naming anything else is refused whole, NO_PERMISSION as
 * Apache answers keys it will not update, and a bad value INVALID_PARAMETER, with nothing applied.
 */
export class BrokerConfigProcessor {
  private readonly settings: Setting[];
  private version = { counter: 0, timestamp: Date.now() };

  constructor(private readonly ctx: BrokerContext, sources: BrokerConfigSources) {
    this.settings = this.describe(sources);
  }

  readonly getConfig = (req: RemotingCommand): RemotingCommand => {
    const body = formatJavaProperties(this.settings.map((s) => [s.key, s.value()] as const));
    return createResponse(req, ResponseCode.SUCCESS, undefined, { version: JSON.stringify({ ...this.version, stateVersion: 0 }) }, Buffer.from(body, 'utf8'));
  };

  readonly updateConfig = (req: RemotingCommand, conn: RemotingConnection): RemotingCommand => {
    const changes = parseJavaProperties((req.body ?? Buffer.alloc(0)).toString('utf8'));
    const byKey = new Map(this.settings.map((s) => [s.key, s]));
    const fixed = [...changes.keys()].filter((k) => byKey.has(k) && !byKey.get(k)!.check);
    const unknown = [...changes.keys()].filter((k) => !byKey.has(k));
    if (fixed.length > 0 || unknown.length > 0) {
      const reasons = [
        ...fixed.map((k) => `${k} cannot change while the gateway runs (${byKey.get(k)!.fixedBecause!})`),
        ...unknown.map((k) => `${k} is not a setting of this gateway`),
      ];
      throw new BrokerError('forbidden', `cannot update config: ${reasons.join('; ')}; nothing was changed`);
    }
    const apply: Array<() => void> = [];
    for (const [key, raw] of changes) {
      try {
        apply.push(byKey.get(key)!.check!(raw.trim()));
      } catch (err) {
        throw new BrokerError('bad-request', `cannot update config: ${key}: ${(err as Error).message}; nothing was changed`);
      }
    }
    for (const [i, [key]] of [...changes].entries()) {
      const from = byKey.get(key)!.value();
      apply[i]!();
      this.ctx.log.info({ key, from, to: byKey.get(key)!.value(), remote: conn.remoteAddress }, 'broker config updated');
    }
    if (changes.size > 0) this.version = { counter: this.version.counter + 1, timestamp: Date.now() };
    return createResponse(req, ResponseCode.SUCCESS);
  };

  private describe({ config, listenPort, transactions }: BrokerConfigSources): Setting[] {
    const live = this.ctx.settings;
    const advertised = live.advertisedAddress;
    const constant = (key: string, value: string | number | boolean, fixedBecause: string): Setting => ({ key, value: () => String(value), fixedBecause });
    const fixed = (key: string, value: string | number | boolean, option: string): Setting => constant(key, value, `set it with ${option} and restart`);
    const whole = (key: string, range: readonly [number, number], read: () => number, write: (n: number) => void): Setting =>
      ({ key, value: () => String(read()), check: (raw) => { const n = wholeNumber(raw, range); return () => write(n); } });
    const flag = (key: string, read: () => boolean, write: (b: boolean) => void): Setting =>
      ({ key, value: () => String(read()), check: (raw) => { const b = bool(raw); return () => write(b); } });
    const embedded = config.store === 'embedded';
    return [
      fixed('brokerClusterName', config.clusterName, '--cluster-name'),
      // The broker this address serves: a slot of a cluster, or a worker, is a broker with a name of its own.
      fixed('brokerName', live.brokerName, '--broker-name'),
      constant('brokerId', 0, 'the gateway is the only broker of its cluster, its master'),
      // Pulsar acknowledges an append once its bookies have it, as a synchronous master waits for its slave.
      fixed('brokerRole', embedded ? 'ASYNC_MASTER' : 'SYNC_MASTER', '--store'),
      constant('brokerPermission', RW_PERM, 'topics carry their own permissions: use updateTopicPerm'),
      // The gateway is its own name server.
      fixed('namesrvAddr', advertised, '--advertised-address'),
      fixed('brokerIP1', advertised.slice(0, advertised.lastIndexOf(':')), '--advertised-address'),
      fixed('listenPort', listenPort, '--port'),
      fixed('bindAddress', config.host, '--host'),
      flag('autoCreateTopicEnable', () => live.autoCreateTopics, (b) => (live.autoCreateTopics = b)),
      constant('autoCreateSubscriptionGroup', true, 'consumers of any group are served, declared or not'),
      whole('defaultTopicQueueNums', SETTING_RANGES.defaultQueues, () => live.defaultQueues, (n) => (live.defaultQueues = n)),
      flag('enablePropertyFilter', () => live.enablePropertyFilter, (b) => (live.enablePropertyFilter = b)),
      fixed('messageDelayLevel', formatDelayLevels(live.delayLevelsMs), '--message-delay-level'),
      whole('transactionCheckInterval', SETTING_RANGES.transactionCheckIntervalMs, () => transactions.checkIntervalMs, (n) => (transactions.checkIntervalMs = n)),
      whole('transactionTimeOut', SETTING_RANGES.transactionTimeoutMs, () => transactions.timeoutMs, (n) => (transactions.timeoutMs = n)),
      whole('transactionCheckMax', SETTING_RANGES.transactionCheckMax, () => transactions.maxChecks, (n) => (transactions.maxChecks = n)),
      fixed('maxMessageSize', live.maxMessageSize, '--max-message-size'),
      constant('longPollingEnable', true, 'pulls are always held until messages arrive'),
      constant('useTLS', false, 'the remoting port speaks plaintext only'),
      fixed('fileReservedTime', config.retentionHours, '--retention-hours'),
      ...(embedded ? [
        fixed('storePathRootDir', resolve(config.dataDir), '--data-dir'),
        fixed('flushDiskType', config.flush === 'sync' ? 'SYNC_FLUSH' : 'ASYNC_FLUSH', '--flush'),
        fixed('flushIntervalCommitLog', config.flushIntervalMs, '--flush-interval-ms'),
        fixed('segmentSize', config.segmentBytes, '--segment-size'),
      ] : [
        fixed('pulsarUrl', config.pulsarUrl, '--pulsar-url'),
        fixed('pulsarAdminUrl', config.pulsarAdminUrl, '--pulsar-admin-url'),
        fixed('pulsarTenant', config.pulsarTenant, '--pulsar-tenant'),
        fixed('pulsarNamespace', config.pulsarNamespace, '--pulsar-namespace'),
        fixed('pulsarSystemNamespace', config.pulsarSystemNamespace, '--pulsar-system-namespace'),
      ]),
      fixed('store', config.store, '--store'),
      fixed('advertisedAddress', advertised, '--advertised-address'),
      fixed('httpPort', config.httpPort, '--http-port'),
      fixed('grpcPort', config.grpcPort, '--grpc-port'),
      fixed('maxFrameSize', config.maxFrameSize, '--max-frame-size'),
      fixed('serverChannelMaxIdleTimeSeconds', config.limits.clientIdleTimeoutMs / 1000, '--client-idle-timeout'),
      fixed('waitTimeMillsInSendQueue', config.limits.maxSendWaitMs, '--max-send-wait-ms'),
      ...(embedded ? [fixed('diskMaxUsedSpaceRatio', config.limits.diskMaxUsedRatio, '--disk-max-used-ratio')] : []),
      fixed('logLevel', config.logLevel, '--log-level'),
    ];
  }
}
