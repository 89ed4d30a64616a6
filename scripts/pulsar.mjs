// Apache Pulsar standalone for development and CI, from Maven Central artifacts only (no Docker, no tarball).
// Usage: node scripts/pulsar.mjs start|stop|status
//   PULSAR_BROKER_PORT (6650), PULSAR_WEB_PORT (8090: the gateway's admin takes 8080), PULSAR_VERSION (4.2.4)
// Everything lives under the git-ignored .cache/pulsar/: a generated pom, lib/ (the broker's jars), conf, data, logs.
import { spawn } from 'node:child_process';
import { resolveClasspath } from './lib/maven-classpath.mjs';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';

const VERSION = process.env.PULSAR_VERSION ?? '4.2.4';
const BROKER_PORT = Number(process.env.PULSAR_BROKER_PORT ?? 6650);
const WEB_PORT = Number(process.env.PULSAR_WEB_PORT ?? 8090);
const START_TIMEOUT_MS = 240_000;
const home = resolve('.cache', 'pulsar');
const lib = join(home, 'lib');
const pidFile = join(home, 'pulsar.pid');
const logDir = join(home, 'logs');
const dataDir = join(home, 'data');

const command = process.argv[2];
const commands = { start, stop, status };
if (!commands[command]) {
  console.error('usage: node scripts/pulsar.mjs start|stop|status');
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
    const clusters = await fetch(`http://127.0.0.1:${WEB_PORT}/admin/v2/clusters`, { signal: AbortSignal.timeout(2000) });
    if (!clusters.ok || !(await clusters.json()).includes('standalone')) return false;
    const namespaces = await fetch(`http://127.0.0.1:${WEB_PORT}/admin/v2/namespaces/public`, { signal: AbortSignal.timeout(2000) });
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
  console.log(ok ? `pulsar ${VERSION} running (pid ${pid}) on pulsar://127.0.0.1:${BROKER_PORT}, http://127.0.0.1:${WEB_PORT}` : pid ? `pulsar starting or unhealthy (pid ${pid})` : 'pulsar not running');
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
    'numHttpServerThreads=4',
    'numOrderedExecutorThreads=2',
    'webSocketServiceEnabled=false',
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

async function start() {
  if (runningPid() !== undefined && (await healthy())) {
    console.log(`pulsar: already running on pulsar://127.0.0.1:${BROKER_PORT}`);
    return;
  }
  resolveJars();
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
      console.log(`pulsar: ${VERSION} up on pulsar://127.0.0.1:${BROKER_PORT} and http://127.0.0.1:${WEB_PORT} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.error(`pulsar: did not become healthy within ${START_TIMEOUT_MS / 1000} s; last log lines:`);
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
    console.log('pulsar: not running');
    rmSync(pidFile, { force: true });
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (runningPid() !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  if (runningPid() !== undefined) process.kill(pid, 'SIGKILL');
  rmSync(pidFile, { force: true });
  console.log('pulsar: stopped');
}
