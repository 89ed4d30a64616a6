// Apache Pulsar standalone for development and CI, from Maven Central artifacts only (no Docker, no tarball).
// Usage: node scripts/pulsar.mjs start|stop|status [--secure]
//   PULSAR_BROKER_PORT (6650), PULSAR_WEB_PORT (8090: the gateway's admin takes 8080), PULSAR_VERSION (4.2.4)
// Everything lives under the git-ignored .cache/pulsar/: a generated pom, lib/ (the broker's jars), conf, data, logs.
// --secure runs a second standalone beside the first, with token authentication and TLS, under .cache/pulsar-secure/
// (its own conf, data, logs and secrets; the same lib/): pulsar+ssl://127.0.0.1:6651 and https://127.0.0.1:8443,
// plaintext (still token-checked) on 6652 and 8091; PULSAR_SECURE_*_PORT override those. Secrets (made once):
// .cache/pulsar-secure/secrets/{ca.crt, broker.crt, broker.key, secret.key, admin.token}.
import { spawn } from 'node:child_process';
import { resolveClasspath } from './lib/maven-classpath.mjs';
import { ensureSecrets, secretPaths, SUPERUSER } from './lib/pulsar-secrets.mjs';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';

const VERSION = process.env.PULSAR_VERSION ?? '4.2.4';
const secure = process.argv.includes('--secure');
const env = (name, fallback) => Number(process.env[name] ?? fallback);
const BROKER_PORT = secure ? env('PULSAR_SECURE_BROKER_PORT', 6652) : env('PULSAR_BROKER_PORT', 6650);
const WEB_PORT = secure ? env('PULSAR_SECURE_WEB_PORT', 8091) : env('PULSAR_WEB_PORT', 8090);
const BROKER_TLS_PORT = env('PULSAR_SECURE_BROKER_TLS_PORT', 6651);
const WEB_TLS_PORT = env('PULSAR_SECURE_WEB_TLS_PORT', 8443);
// Token expiry is checked this often on open connections; a short period lets tests see the auth challenge soon.
const AUTH_REFRESH_CHECK_SECONDS = 2;
const START_TIMEOUT_MS = secure ? 360_000 : 240_000;
const NAME = secure ? 'pulsar (secure)' : 'pulsar';
const home = resolve('.cache', secure ? 'pulsar-secure' : 'pulsar');
const lib = resolve('.cache', 'pulsar', 'lib');
const pidFile = join(home, 'pulsar.pid');
const logDir = join(home, 'logs');
const dataDir = join(home, 'data');
const secrets = secure ? secretPaths(join(home, 'secrets')) : undefined;
const authHeaders = () => (secrets ? { authorization: `Bearer ${readFileSync(secrets.adminToken, 'utf8').trim()}` } : {});
const urls = secure
  ? `pulsar+ssl://127.0.0.1:${BROKER_TLS_PORT} and https://127.0.0.1:${WEB_TLS_PORT} (plaintext ${BROKER_PORT}, ${WEB_PORT})`
  : `pulsar://127.0.0.1:${BROKER_PORT} and http://127.0.0.1:${WEB_PORT}`;

const command = process.argv[2];
const commands = { start, stop, status };
if (!commands[command]) {
  console.error('usage: node scripts/pulsar.mjs start|stop|status [--secure]');
  process.exit(2);
}
await commands[command]();

function runningPid() {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

async function healthy() {
  // Ready means set up, not just listening: standalone registers its cluster and creates public/default
  // a moment after the web port opens, and tenants cannot be created before that.
  try {
    const clusters = await fetch(`http://127.0.0.1:${WEB_PORT}/admin/v2/clusters`, { headers: authHeaders(), signal: AbortSignal.timeout(2000) });
    if (!clusters.ok || !(await clusters.json()).includes('standalone')) return false;
    const namespaces = await fetch(`http://127.0.0.1:${WEB_PORT}/admin/v2/namespaces/public`, { headers: authHeaders(), signal: AbortSignal.timeout(2000) });
    if (!namespaces.ok || !(await namespaces.json()).includes('public/default')) return false;
  } catch {
    return false;
  }
  return new Promise((done) => {
    const s = connect({ host: '127.0.0.1', port: BROKER_PORT });
    s.once('connect', () => { s.destroy(); done(true); });
    s.once('error', () => done(false));
  });
}

async function status() {
  const pid = runningPid();
  const ok = pid !== undefined && (await healthy());
  console.log(ok ? `${NAME} ${VERSION} running (pid ${pid}) on ${urls}` : pid ? `${NAME} starting or unhealthy (pid ${pid})` : `${NAME} not running`);
  process.exit(ok ? 0 : 1);
}

function resolveJars() {
  try {
    resolveClasspath({
      name: 'pulsar', home, lib, versions: [VERSION],
      bom: { groupId: 'org.apache.pulsar', artifactId: 'pulsar' },
      dependencies: (v) => `    <dependency><groupId>org.apache.pulsar</groupId><artifactId>pulsar-broker</artifactId><version>${v}</version></dependency>`,
    });
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}

function writeConfig() {
  const conf = join(home, 'standalone.conf');
  writeFileSync(conf, [
    'clusterName=standalone',
    'bindAddress=127.0.0.1',
    'advertisedAddress=127.0.0.1',
    `brokerServicePort=${BROKER_PORT}`,
    `webServicePort=${WEB_PORT}`,
    // Contiguous per-partition offsets for the gateway (DESIGN §5).
    'brokerEntryMetadataInterceptors=org.apache.pulsar.common.intercept.AppendIndexMetadataInterceptor,org.apache.pulsar.common.intercept.AppendBrokerTimestampMetadataInterceptor',
    'exposingBrokerEntryMetadataToClientEnabled=true',
    // Readers waiting at the end of a topic hear of a new entry at once instead of up to 10 ms later: the
    // gateway's tail reader is how a send learns its offset, so this delay is added to every send.
    'managedLedgerNewEntriesCheckDelayInMillis=0',
    'managedLedgerDefaultEnsembleSize=1',
    'managedLedgerDefaultWriteQuorum=1',
    'managedLedgerDefaultAckQuorum=1',
    'functionsWorkerEnabled=false',
    'transactionCoordinatorEnabled=false',
    'allowAutoTopicCreation=true',
    'allowAutoTopicCreationType=non-partitioned',
    // Small caches: this runs beside the gateway, Java peers and tests on one 2-core machine.
    'managedLedgerCacheSizeMB=64',
    'dbStorage_writeCacheMaxSizeMb=32',
    'dbStorage_readAheadCacheMaxSizeMb=32',
    'journalMaxGroupWaitMSec=1',
    'numIOThreads=2',
    // Jetty leases threads per connector: the secure standalone's TLS connectors need more than 4.
    `numHttpServerThreads=${secure ? 8 : 4}`,
    'numOrderedExecutorThreads=2',
    'webSocketServiceEnabled=false',
    ...(secrets ? securityConfig(secrets) : []),
    '',
  ].join('\n'));
  const log4j = join(home, 'log4j2.xml');
  writeFileSync(log4j, `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="warn">
  <Appenders>
    <File name="file" fileName="${join(logDir, 'pulsar.log')}" append="true">
      <PatternLayout pattern="%d{ISO8601} %-5p [%t] %c{1} - %m%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Root level="info"><AppenderRef ref="file"/></Root>
  </Loggers>
</Configuration>
`);
  return { conf, log4j };
}

/** TLS beside plaintext, tokens checked on both; the broker's own clients use the plaintext ports with the admin token. */
function securityConfig(p) {
  return [
    `brokerServicePortTls=${BROKER_TLS_PORT}`,
    `webServicePortTls=${WEB_TLS_PORT}`,
    `tlsCertificateFilePath=${p.brokerCert}`,
    `tlsKeyFilePath=${p.brokerKey}`,
    `tlsTrustCertsFilePath=${p.caCert}`,
    'authenticationEnabled=true',
    'authenticationProviders=org.apache.pulsar.broker.authentication.AuthenticationProviderToken',
    `tokenSecretKey=file://${p.secretKey}`,
    `authenticationRefreshCheckSeconds=${AUTH_REFRESH_CHECK_SECONDS}`,
    'authorizationEnabled=true',
    `superUserRoles=${SUPERUSER}`,
    'brokerClientAuthenticationPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken',
    `brokerClientAuthenticationParameters=file://${p.adminToken}`,
  ];
}

async function start() {
  if (runningPid() !== undefined && (await healthy())) {
    console.log(`${NAME}: already running on ${urls}`);
    return;
  }
  resolveJars();
  if (secrets) ensureSecrets(secrets.dir);
  mkdirSync(logDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const { conf, log4j } = writeConfig();
  const out = openSync(join(logDir, 'stdout.log'), 'a');
  const started = Date.now();
  const child = spawn('java', [
    '-Xms256m', '-Xmx1g', '-XX:MaxDirectMemorySize=1g', '-XX:+UseG1GC',
    `-Dlog4j2.configurationFile=${log4j}`, '-Dpulsar.log.dir=' + logDir,
    '--add-opens', 'java.base/java.nio=ALL-UNNAMED', '--add-opens', 'java.base/jdk.internal.misc=ALL-UNNAMED',
    '--add-opens', 'java.base/java.lang=ALL-UNNAMED', '--add-opens', 'java.base/sun.net=ALL-UNNAMED',
    '-cp', `${lib}/*`, 'org.apache.pulsar.PulsarStandaloneStarter',
    '--config', conf, '--no-functions-worker', '--no-stream-storage',
    '--metadata-dir', join(dataDir, 'metadata'), '--bookkeeper-dir', join(dataDir, 'bookkeeper'),
  ], { cwd: home, detached: true, stdio: ['ignore', out, out] });
  writeFileSync(pidFile, String(child.pid));
  child.unref();
  while (Date.now() - started < START_TIMEOUT_MS) {
    if (child.exitCode !== null || runningPid() === undefined) break;
    if (await healthy()) {
      console.log(`${NAME}: ${VERSION} up on ${urls} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.error(`${NAME}: did not become healthy within ${START_TIMEOUT_MS / 1000} s; last log lines:`);
  for (const f of ['stdout.log', 'pulsar.log']) {
    const p = join(logDir, f);
    if (existsSync(p)) console.error(readFileSync(p, 'utf8').split('\n').slice(-30).join('\n'));
  }
  await stop();
  process.exit(1);
}

async function stop() {
  const pid = runningPid();
  if (pid === undefined) {
    console.log(`${NAME}: not running`);
    rmSync(pidFile, { force: true });
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (runningPid() !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  if (runningPid() !== undefined) process.kill(pid, 'SIGKILL');
  rmSync(pidFile, { force: true });
  console.log(`${NAME}: stopped`);
}
