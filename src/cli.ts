#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { defaultConfig, SETTING_RANGES, wholeNumber, type GatewayConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { startGateway, type Gateway } from './gateway.js';
import { workerConfig, workerPlaceOf } from './workers/worker-config.js';
import { WorkerLink } from './workers/worker-link.js';
import { startWorkerPool, type WorkerPool } from './workers/worker-pool.js';
import { DEFAULT_DELAY_LEVELS, parseDelayLevels } from './broker/delay-levels.js';
import { applyLayers, ConfigError, describeLayers, readConfigFile } from './config-layers.js';
import { readGrpcTls, type GrpcTls } from './grpc/tls.js';
import { GRPC_TLS_MODES } from './grpc/grpc-port-listener.js';
import { checkAclFile } from './acl/acl-file.js';
import { adminAuthSettings, exposureProblem, parseAllowedHosts } from './admin/admin-access-config.js';
import { CLIENT_AUTH_MODES, readRemotingTls, REMOTING_TLS_MODES, type RemotingTls, type RemotingTlsFlags } from './remoting/tls-settings.js';
import { pulsarTlsConfig, pulsarTokenConfig } from './startup/pulsar-access-config.js';
import { PulsarAccessError } from './pulsar/errors.js';

const EXIT_USAGE = 2;

function integer(min: number, max: number) {
  return (value: string): number => {
    try {
      return wholeNumber(value, [min, max]);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

function hostPort(value: string): string {
  if (!/^[^\s:]+:\d{1,5}$/.test(value) || Number(value.split(':')[1]) > 65535) throw new InvalidArgumentError(`expected host:port, got ${JSON.stringify(value)}`);
  return value;
}

function allowedHosts(value: string): string[] {
  try {
    return parseAllowedHosts(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function pulsarUrl(value: string): string {
  if (!/^pulsar(\+ssl)?:\/\/[^\s:/]+(:\d{1,5})?\/?$/.test(value)) throw new InvalidArgumentError(`expected pulsar://host:port or pulsar+ssl://host:port, got ${JSON.stringify(value)}`);
  return value;
}

function httpUrl(value: string): string {
  if (!/^https?:\/\/[^\s/]+\/?$/.test(value)) throw new InvalidArgumentError(`expected http://host:port or https://host:port, got ${JSON.stringify(value)}`);
  return value;
}

const PULSAR_NAME = /^[-=:.\w]+$/;

function pulsarName(value: string): string {
  if (!PULSAR_NAME.test(value)) throw new InvalidArgumentError(`expected a Pulsar tenant or namespace name ([-=:.A-Za-z0-9_]), got ${JSON.stringify(value)}`);
  return value;
}

function pulsarNamespacePath(value: string): string {
  const parts = value.split('/');
  if (parts.length !== 2 || !parts.every((p) => PULSAR_NAME.test(p))) throw new InvalidArgumentError(`expected tenant/namespace, got ${JSON.stringify(value)}`);
  return value;
}

function delayLevels(value: string): string {
  try {
    parseDelayLevels(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

/** Both files or neither; they are read and checked now, so that a bad one stops the start with one line. */
function grpcTls(certFile: string | undefined, keyFile: string | undefined): GrpcTls | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new ConfigError(`--grpc-tls-cert and --grpc-tls-key go together: give both PEM files, or neither for plaintext (only ${certFile === undefined ? '--grpc-tls-key' : '--grpc-tls-cert'} was given)`);
  try {
    return readGrpcTls(certFile, keyFile);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** The remoting TLS flags checked together and their files read now, like the gRPC ones. */
function remotingTls(flags: RemotingTlsFlags): RemotingTls | undefined {
  try {
    return readRemotingTls(flags);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** The ACL file is read and checked now, so that a bad one stops the start with one line. */
function aclFile(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    checkAclFile(path);
  } catch (err) {
    throw new ConfigError(`--acl-file ${path}: ${(err as Error).message}`);
  }
  return path;
}

/** Options about where settings come from; they are not settings themselves. */
const META_OPTIONS = ['config', 'printConfig'];
/** Settings --print-config does not show: its output ends up in terminals and tickets. */
const SECRET_OPTIONS = ['adminToken', 'adminReadToken', 'pulsarAuthToken'];

interface ParsedCommandLine {
  config: GatewayConfig;
  /** the effective settings with their sources, when --print-config asked for them */
  printed?: string;
}

function parseConfig(argv: string[], env: NodeJS.ProcessEnv): ParsedCommandLine {
  const d = defaultConfig;
  const program = new Command('rop')
    .description('RocketMQ-compatible gateway: name server and broker on one port, messages in Apache Pulsar or an embedded store')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str.split('\n')[0] + '\n') })
    .option('--host <host>', 'address to listen on', d.host)
    .option('--port <port>', 'port for RocketMQ remoting (name server and broker)', integer(0, 65535), d.port)
    .option('--http-port <port>', 'port of the admin HTTP server (health, JSON API, /metrics, dashboard); 0 turns it off', integer(0, 65535), d.httpPort)
    .option('--admin-token <token>', 'bearer token of the admin role of the admin HTTP server (every endpoint); required unless it listens on loopback')
    .option('--admin-token-file <file>', 'file holding --admin-token, so that it stays out of the process list')
    .option('--admin-read-token <token>', 'bearer token of the read-only role of the admin HTTP server (GET only)')
    .option('--admin-read-token-file <file>', 'file holding --admin-read-token')
    .option('--metrics-auth', '/metrics asks for a token (the read or admin one) like the JSON API; open otherwise')
    .option('--admin-allowed-hosts <hosts>', 'Host header values the admin HTTP server answers, comma-separated, name or name:port, * for any (default: localhost, 127.0.0.1, [::1], the bind and advertised host, on --http-port)', allowedHosts)
    .option('--admin-insecure', 'let the admin HTTP server listen beyond loopback without a token')
    .option('--grpc-port <port>', 'port of the gRPC endpoint for RocketMQ 5 clients (plaintext unless --grpc-tls-cert and --grpc-tls-key are given); 0 turns it off', integer(0, 65535), d.grpcPort)
    .addOption(new Option('--grpc-tls-mode <mode>', 'TLS on the gRPC port, as Apache\'s proxy: permissive (TLS and plaintext on one port), enforcing (TLS only), disabled (plaintext only); without --grpc-tls-cert a self-signed certificate is made at start').choices(GRPC_TLS_MODES).default(d.grpcTlsMode))
    .option('--grpc-tls-cert <file>', 'PEM certificate (chain) of the gRPC endpoint; needs --grpc-tls-key')
    .option('--grpc-tls-key <file>', 'PEM private key of --grpc-tls-cert')
    .addOption(new Option('--remoting-tls-mode <mode>', 'TLS on the remoting port(s), as Apache RocketMQ\'s tls.server.mode: disabled (plaintext only), permissive (TLS and plaintext on one port), enforcing (TLS only); needs --remoting-tls-cert and --remoting-tls-key').choices(REMOTING_TLS_MODES).default('disabled'))
    .option('--remoting-tls-cert <file>', 'PEM certificate (chain) of the remoting port(s)')
    .option('--remoting-tls-key <file>', 'PEM private key of --remoting-tls-cert')
    .addOption(new Option('--remoting-tls-client-auth <auth>', 'client certificates, as tls.server.need.client.auth: none, optional (one shown must verify), require; needs --remoting-tls-client-ca').choices(CLIENT_AUTH_MODES).default('none'))
    .option('--remoting-tls-client-ca <file>', 'PEM certificates that client certificates are verified against')
    .option('--advertised-address <host:port>', 'broker address put in routes and message ids (default: host:bound port)', hostPort)
    .option('--data-dir <dir>', 'where the embedded store keeps its files', d.dataDir)
    .addOption(new Option('--store <kind>', 'message store').choices(['embedded', 'pulsar']).default(d.store))
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(d.logLevel))
    .option('--max-frame-size <bytes>', 'largest frame accepted; a larger one closes its connection', integer(1024, 1024 * 1024 * 1024), d.maxFrameSize)
    .option('--max-message-size <bytes>', 'largest message body taken (4.x and gRPC); a larger one is refused MESSAGE_ILLEGAL / MESSAGE_BODY_TOO_LARGE', integer(1024, 64 * 1024 * 1024), d.limits.maxMessageSize)
    .option('--client-idle-timeout <s>', 'close a client connection that sent nothing for this long (Apache\'s serverChannelMaxIdleTimeSeconds)', integer(1, 86_400), d.limits.clientIdleTimeoutMs / 1000)
    .option('--frame-timeout-ms <ms>', 'close a connection whose started frame is not complete within this', integer(100, 3_600_000), d.limits.frameTimeoutMs)
    .option('--max-connections <n>', 'client connections taken at once, remoting and gRPC together; more are closed at once and logged', integer(1, 1_000_000), d.limits.maxConnections)
    .option('--max-topics <n>', 'topics the gateway holds; auto-creation past it answers TOPIC_NOT_EXIST', integer(1, 1_000_000), d.limits.maxTopics)
    .option('--max-open-files <n>', 'embedded store: queue files open at once, the least recently used closed first', integer(16, 1_000_000), d.limits.maxOpenFiles)
    .option('--max-send-wait-ms <ms>', 'a send or pull that waited this long before it could start is answered SYSTEM_BUSY / TOO_MANY_REQUESTS (Apache\'s waitTimeMillsInSendQueue)', integer(1, 60_000), d.limits.maxSendWaitMs)
    .option('--disk-max-used-ratio <percent>', 'embedded store: sends are refused while the data directory\'s file system is fuller than this', integer(1, 100), d.limits.diskMaxUsedRatio)
    .option('--no-auto-create-topics', 'answer TOPIC_NOT_EXIST for unknown topics instead of creating them')
    .option('--no-enable-property-filter', 'refuse SQL92 subscriptions (Apache RocketMQ\'s enablePropertyFilter=false) instead of filtering by them')
    .option('--default-queues <n>', 'queues of an auto-created topic', integer(...SETTING_RANGES.defaultQueues), d.defaultQueues)
    .addOption(new Option('--flush <policy>', 'sync: fsync before a send is acknowledged; async: fsync every --flush-interval-ms').choices(['async', 'sync']).default(d.flush))
    .option('--flush-interval-ms <ms>', 'fsync period of the async flush policy', integer(1, 60_000), d.flushIntervalMs)
    .option('--segment-size <bytes>', 'size at which a queue log starts a new segment file', integer(4096, 1024 * 1024 * 1024), d.segmentBytes)
    .option('--retention-hours <h>', 'embedded: delete segments whose newest message is older than this; pulsar: retention set on namespaces it creates', integer(1, 24 * 365 * 10), d.retentionHours)
    .option('--pulsar-url <url>', 'Pulsar service URL (store pulsar); pulsar+ssl:// speaks TLS', pulsarUrl, d.pulsarUrl)
    .option('--pulsar-admin-url <url>', 'Pulsar admin REST URL (store pulsar); https:// speaks TLS', httpUrl, d.pulsarAdminUrl)
    .option('--pulsar-tls-ca <file>', 'PEM certificate(s) to trust for pulsar+ssl:// and https:// Pulsar URLs (default: Node\'s built-in CAs)')
    .option('--no-pulsar-tls-hostname-verification', 'accept a Pulsar certificate that does not name the host connected to (the chain is still verified)')
    .option('--pulsar-auth-token <token>', 'JWT sent to Pulsar (token authentication) in CONNECT and as Authorization: Bearer on admin REST')
    .option('--pulsar-auth-token-file <file>', 'file holding the Pulsar token, read again at every connect and auth challenge so a rotated token is used')
    .option('--pulsar-tenant <tenant>', 'Pulsar tenant of topics without a client namespace', pulsarName, d.pulsarTenant)
    .option('--pulsar-namespace <namespace>', 'Pulsar namespace of topics without a client namespace', pulsarName, d.pulsarNamespace)
    .option('--pulsar-system-namespace <tenant/namespace>', "Pulsar namespace of the gateway's topic configs and consumer offsets", pulsarNamespacePath, d.pulsarSystemNamespace)
    .option('--message-delay-level <levels>', 'wait of each delay level, as RocketMQ\'s messageDelayLevel (units ms, s, m, h, d)', delayLevels, DEFAULT_DELAY_LEVELS)
    .option('--transaction-check-interval-ms <ms>', 'how often unresolved transactions are checked with their producers', integer(...SETTING_RANGES.transactionCheckIntervalMs), d.transactionCheckIntervalMs)
    .option('--transaction-timeout-ms <ms>', 'age of a half message before its first check', integer(...SETTING_RANGES.transactionTimeoutMs), d.transactionTimeoutMs)
    .option('--transaction-check-max <n>', 'checks before an unresolved transaction is rolled back', integer(...SETTING_RANGES.transactionCheckMax), d.transactionCheckMax)
    .option('--acl-file <path>', 'turns ACL on: Apache RocketMQ plain_acl.yml of accounts and white addresses, checked for every 4.x request and gRPC call and reloaded when it changes')
    .option('--cluster-name <name>', 'cluster name in routes and cluster info', d.clusterName)
    .option('--broker-name <name>', 'broker name in routes and cluster info; with several slots, each slot is <name>-<n>', d.brokerName)
    .option('--cluster-slots <n>', 'store pulsar: broker slots of a new cluster (the gateways sharing cluster name and system namespace); an existing cluster keeps its own', integer(1, 256), d.clusterSlots)
    .option('--workers <n>', 'processes serving the gateway, to use more cores: on the embedded store each is a broker of one cluster with its own queues and data (workers/<i> under the data dir, worker 0 keeps the data dir itself); on Pulsar each is a gateway of the cluster; 1 is one process', integer(1, 64), d.workers)
    .option('--config <file>', 'YAML or JSON file of settings named like the options in camelCase (httpPort: 8080); also ROP_CONFIG')
    .option('--print-config', 'print the effective configuration, with where each value came from, and exit')
    .addHelpText('after', '\nEvery option can also come from an environment variable, ROP_ and its name in capitals (ROP_HTTP_PORT),\nor from the --config file. Flags win over environment variables, which win over the file.')
    .allowExcessArguments(false);
  program.parse(argv, { from: 'user' });
  const configPath: string | undefined = program.opts().config ?? env.ROP_CONFIG;
  applyLayers(program, env, configPath === undefined ? undefined : { path: configPath, settings: readConfigFile(configPath) }, META_OPTIONS);
  const o = program.opts();
  const adminAuth = adminAuthSettings(o);
  const exposure = exposureProblem(o.host, o.httpPort, adminAuth);
  if (exposure !== undefined) throw new ConfigError(exposure);
  const config: GatewayConfig = {
    host: o.host,
    port: o.port,
    httpPort: o.httpPort,
    adminAuth,
    grpcPort: o.grpcPort,
    grpcTls: grpcTls(o.grpcTlsCert, o.grpcTlsKey),
    grpcTlsMode: o.grpcTlsMode,
    remotingTls: remotingTls({ mode: o.remotingTlsMode, certFile: o.remotingTlsCert, keyFile: o.remotingTlsKey, clientAuth: o.remotingTlsClientAuth, clientCaFile: o.remotingTlsClientCa }),
    aclFile: aclFile(o.aclFile),
    advertisedAddress: o.advertisedAddress,
    dataDir: o.dataDir,
    store: o.store,
    logLevel: o.logLevel,
    maxFrameSize: o.maxFrameSize,
    autoCreateTopics: o.autoCreateTopics,
    enablePropertyFilter: o.enablePropertyFilter,
    defaultQueues: o.defaultQueues,
    flush: o.flush,
    flushIntervalMs: o.flushIntervalMs,
    segmentBytes: o.segmentSize,
    retentionHours: o.retentionHours,
    pulsarUrl: o.pulsarUrl,
    pulsarAdminUrl: o.pulsarAdminUrl,
    pulsarTls: pulsarTlsConfig(o.pulsarTlsCa, o.pulsarTlsHostnameVerification),
    pulsarAuthToken: pulsarTokenConfig(o.pulsarAuthToken, o.pulsarAuthTokenFile),
    pulsarTenant: o.pulsarTenant,
    pulsarNamespace: o.pulsarNamespace,
    pulsarSystemNamespace: o.pulsarSystemNamespace,
    delayLevelsMs: parseDelayLevels(o.messageDelayLevel),
    transactionCheckIntervalMs: o.transactionCheckIntervalMs,
    transactionTimeoutMs: o.transactionTimeoutMs,
    transactionCheckMax: o.transactionCheckMax,
    clusterName: o.clusterName,
    brokerName: o.brokerName,
    clusterSlots: o.clusterSlots,
    workers: o.workers,
    limits: {
      maxMessageSize: o.maxMessageSize,
      clientIdleTimeoutMs: o.clientIdleTimeout * 1000,
      frameTimeoutMs: o.frameTimeoutMs,
      maxConnections: o.maxConnections,
      maxTopics: o.maxTopics,
      maxOpenFiles: o.maxOpenFiles,
      maxSendWaitMs: o.maxSendWaitMs,
      diskMaxUsedRatio: o.diskMaxUsedRatio,
    },
  };
  return { config, printed: o.printConfig ? describeLayers(program, META_OPTIONS, SECRET_OPTIONS) : undefined };
}

async function main(): Promise<void> {
  let config: GatewayConfig;
  try {
    const parsed = parseConfig(process.argv.slice(2), process.env);
    if (parsed.printed !== undefined) {
      process.stdout.write(parsed.printed);
      return;
    }
    config = parsed.config;
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
    if (err instanceof ConfigError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(EXIT_USAGE);
    }
    throw err;
  }
  const place = workerPlaceOf(process.env);
  if (place) {
    await runWorker(workerConfig(config, place));
    return;
  }
  const log = createLogger(config.logLevel);
  if (config.workers > 1) {
    await runPrimary(config, log);
    return;
  }
  await runGateway(config, log);
}

/** Stops `stop` on SIGINT and SIGTERM, once, and exits with its outcome. */
function exitOnSignals(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = (signal: string): void => {
    // A repeated signal must not kill a stop that is answering clients and flushing the store.
    if (stopping) {
      log.info({ signal }, 'already shutting down');
      return;
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

async function startOrExit(config: GatewayConfig, log: Logger): Promise<Gateway> {
  try {
    return await startGateway(config, log);
  } catch (err) {
    // Refused credentials or certificates need the operator, not a stack trace: one line says which.
    if (err instanceof PulsarAccessError) process.stderr.write(`error: rop failed to start: ${err.message.replace(/\s+/g, ' ')}\n`);
    else log.fatal({ err }, 'rop failed to start');
    process.exit(1);
  }
}

async function runGateway(config: GatewayConfig, log: Logger): Promise<void> {
  const gateway = await startOrExit(config, log);
  exitOnSignals(log, () => gateway.stop());
}

/** A worker: a gateway that tells the primary where it listens, and ends with the primary. */
async function runWorker(config: GatewayConfig): Promise<void> {
  const log = createLogger(config.logLevel).child({ worker: config.worker!.index });
  // The primary gone (killed) leaves no one to stop the workers: each goes at once, as the primary did.
  process.on('disconnect', () => process.exit(1));
  const gateway = await startOrExit(config, log);
  WorkerLink.ofProcess().listening({ port: gateway.port, httpPort: gateway.httpPort, grpcPort: gateway.grpcPort, address: gateway.advertisedAddress });
  exitOnSignals(log, () => gateway.stop());
}

/** The primary of --workers: forks them, says where the first listens, stops them on a signal or when one dies. */
async function runPrimary(config: GatewayConfig, log: Logger): Promise<void> {
  let pool: WorkerPool;
  try {
    pool = await startWorkerPool(process.argv[1]!, process.argv.slice(2), config.workers, log);
  } catch (err) {
    log.fatal({ err }, 'rop failed to start');
    process.exit(1);
  }
  const { first } = pool;
  log.info({ host: config.host, port: first.port, httpPort: first.httpPort, grpcPort: first.grpcPort, advertised: first.address, workers: pool.workers.map((w) => w.address), remotingTls: config.remotingTls?.mode ?? 'disabled', acl: config.aclFile, dataDir: config.dataDir, store: config.store, flush: config.flush }, 'rop listening');
  pool.onWorkerLost((index, code) => {
    // A worker's slot has no other server: stopping the whole gateway lets a supervisor restart it whole.
    log.fatal({ worker: index, code }, 'a worker exited; stopping the others');
    void pool.stop().then(() => process.exit(1));
  });
  exitOnSignals(log, () => pool.stop());
}

void main();
