// Apache RocketMQ's own name server and broker, from Maven Central artifacts only (no Docker, no distribution zip):
// 4.9.x for the differential tests, 5.x for the benchmarks. Usage: node scripts/rocketmq.mjs start|stop|status
//   ROCKETMQ_NAMESRV_PORT (19876), ROCKETMQ_BROKER_PORT (10911; the broker also takes port-2 for its VIP channel
//   and port+1 for HA), ROCKETMQ_VERSION (4.9.8, else the first 4.9.x that resolves),
//   ROCKETMQ_PROFILE (test: small store files, a short transaction check; bench: the broker's defaults but for
//   ports, paths and the disk-full ratio), ROCKETMQ_HOME_DIR (.cache/rocketmq; one per version line, since lib/ holds
//   one version), ROCKETMQ_BROKER_CONF_EXTRA (key=value lines, newline- or ';'-separated, merged into broker.conf),
//   ROCKETMQ_KEEP_STORE=1 (keep the message store across a stop/start; by default each start begins empty),
//   ROCKETMQ_PROXY_GRPC_PORT (5.x only; unset: no proxy): also run Apache's proxy (rocketmq-proxy, the gRPC endpoint of
//   the RocketMQ 5 clients) in cluster mode in front of that broker, on this gRPC port and the port below it for its
//   own remoting listener.
// Everything lives under the git-ignored home: a generated pom, lib/ (the jars), conf, store, logs.
import { spawn } from 'node:child_process';
import { resolveClasspath } from './lib/maven-classpath.mjs';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join, resolve } from 'node:path';

const CANDIDATE_VERSIONS = process.env.ROCKETMQ_VERSION ? [process.env.ROCKETMQ_VERSION] : ['4.9.8', '4.9.7', '4.9.6', '4.9.5', '4.9.4'];
const NAMESRV_PORT = Number(process.env.ROCKETMQ_NAMESRV_PORT ?? 19876);
const BROKER_PORT = Number(process.env.ROCKETMQ_BROKER_PORT ?? 10911);
const START_TIMEOUT_MS = 120_000;
const home = resolve(process.env.ROCKETMQ_HOME_DIR ?? join('.cache', 'rocketmq'));
const PROFILE = process.env.ROCKETMQ_PROFILE ?? 'test';
const lib = join(home, 'lib');
const confDir = join(home, 'conf');
const logDir = join(home, 'logs');
const storeDir = join(home, 'store');
const userHome = join(home, 'home');
const pidFile = join(home, 'rocketmq.pid');
const GET_BROKER_CLUSTER_INFO = 106;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MAIN_CLASS = {
  namesrv: 'org.apache.rocketmq.namesrv.NamesrvStartup', broker: 'org.apache.rocketmq.broker.BrokerStartup', proxy: 'org.apache.rocketmq.proxy.ProxyStartup',
};
const PROXY_GRPC_PORT = process.env.ROCKETMQ_PROXY_GRPC_PORT ? Number(process.env.ROCKETMQ_PROXY_GRPC_PORT) : undefined;
// The proxy's jars (broker and client included) are resolved beside the broker's, not into lib/: a lib/ resolved
// before stays valid, and a start without the proxy does not resolve it.
const proxyLib = join(home, 'proxy-lib');

const command = process.argv[2];
const commands = { start, stop, status };
if (!commands[command]) {
  console.error('usage: node scripts/rocketmq.mjs start|stop|status');
  process.exit(2);
}
await commands[command]();

// ---- processes -------------------------------------------------------------------------------------------

function readState() {
  if (!existsSync(pidFile)) return undefined;
  try {
    return JSON.parse(readFileSync(pidFile, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether `pid` is alive and (where /proc tells) still the JVM we started, not a recycled pid. */
function alive(pid, role) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(MAIN_CLASS[role]);
  } catch {
    return true;
  }
}

function running() {
  const state = readState();
  if (!state) return { state };
  const up = (role) => (alive(state[role], role) ? state[role] : undefined);
  return { state, namesrv: up('namesrv'), broker: up('broker'), proxy: up('proxy') };
}

// ---- a minimal remoting request, to ask the name server which brokers registered -------------------------

/** One JSON-serialized remoting request to `port`; resolves with the response's code and body, or undefined. */
function remotingRequest(port, code, timeoutMs = 2000) {
  return new Promise((done) => {
    const header = Buffer.from(JSON.stringify({ code, language: 'JAVA', version: 0, opaque: 1, flag: 0, extFields: {} }));
    const frame = Buffer.alloc(8 + header.length);
    frame.writeInt32BE(4 + header.length, 0);
    frame.writeInt32BE(header.length, 4); // top byte 0: JSON header
    header.copy(frame, 8);
    let received = Buffer.alloc(0);
    const s = connect({ host: '127.0.0.1', port });
    const finish = (value) => {
      clearTimeout(timer);
      s.destroy();
      done(value);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    s.once('error', () => finish(undefined));
    s.once('connect', () => s.write(frame));
    s.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      const total = received.readInt32BE(0);
      const headerLength = received.readInt32BE(4) & 0xffffff;
      try {
        const h = JSON.parse(received.subarray(8, 8 + headerLength).toString('utf8'));
        finish({ code: h.code, remark: h.remark, body: received.subarray(8 + headerLength, 4 + total).toString('utf8') });
      } catch {
        finish(undefined);
      }
    });
  });
}


/** The name server answers, and (when `withBroker`) lists broker-a at our broker port. */
async function namesrvReady(namesrvPort, brokerPort, withBroker) {
  const r = await remotingRequest(namesrvPort, GET_BROKER_CLUSTER_INFO);
  if (!r || r.code !== 0) return false;
  // The body is fastjson output with integer map keys (not strict JSON): a text check is enough here.
  return !withBroker || (r.body.includes('"broker-a"') && r.body.includes(`127.0.0.1:${brokerPort}`));
}

function portFree(port) {
  return new Promise((done) => {
    const srv = createServer();
    srv.once('error', () => done(false));
    srv.listen({ port, exclusive: true }, () => srv.close(() => done(true)));
  });
}

// ---- status ----------------------------------------------------------------------------------------------

async function status() {
  const { state, namesrv, broker, proxy } = running();
  const ok = namesrv !== undefined && broker !== undefined && (await namesrvReady(state.namesrvPort, state.brokerPort, true))
    && (!state.proxyGrpcPort || proxy !== undefined);
  if (ok) {
    const withProxy = state.proxyGrpcPort ? `, proxy pid ${proxy} with gRPC on 127.0.0.1:${state.proxyGrpcPort}` : '';
    console.log(`rocketmq ${state.version} running: name server pid ${namesrv} on 127.0.0.1:${state.namesrvPort}, broker-a pid ${broker} on 127.0.0.1:${state.brokerPort}${withProxy}`);
  } else if (namesrv || broker) {
    console.log(`rocketmq starting or unhealthy (name server ${namesrv ? `pid ${namesrv}` : 'not running'}, broker ${broker ? `pid ${broker}` : 'not running'}); logs in ${logDir}`);
  } else {
    console.log('rocketmq not running');
  }
  process.exit(ok ? 0 : 1);
}

// ---- Maven resolution ------------------------------------------------------------------------------------

function resolveJars(name, into, artifacts, versions = CANDIDATE_VERSIONS) {
  // rocketmq-all is the parent of every module; imported as a BOM it pins the transitive versions too, so lib/
  // matches what the project's own distribution ships.
  try {
    return resolveClasspath({
      name, home, lib: into, versions,
      bom: { groupId: 'org.apache.rocketmq', artifactId: 'rocketmq-all' },
      dependencies: (v) => artifacts
        .map((a) => `    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`).join('\n'),
    }).version;
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}

// ---- configuration ---------------------------------------------------------------------------------------

/** key=value pairs from ROCKETMQ_BROKER_CONF_EXTRA, one per line or ';'-separated. */
function extraBrokerConf() {
  const pairs = [];
  for (const raw of (process.env.ROCKETMQ_BROKER_CONF_EXTRA ?? '').split(/[;\n]/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) {
      console.error(`rocketmq: ignoring "${line}" in ROCKETMQ_BROKER_CONF_EXTRA (not key=value)`);
      continue;
    }
    pairs.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return pairs;
}

function logbackXml(file) {
  // RocketMQ's own logback files write under ${user.home}/logs/rocketmqlogs with many appenders; one file is enough here.
  return `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <appender name="file" class="ch.qos.logback.core.FileAppender">
    <file>${join(logDir, file)}</file>
    <append>true</append>
    <encoder><pattern>%d{yyy-MM-dd HH:mm:ss.SSS} %-5p [%t] %c{0} - %m%n</pattern></encoder>
  </appender>
  <logger name="RocketmqStats" level="WARN"/>
  <logger name="RocketmqCommercial" level="WARN"/>
  <root level="INFO"><appender-ref ref="file"/></root>
</configuration>
`;
}

function writeConfig() {
  for (const d of [confDir, logDir, storeDir, userHome]) mkdirSync(d, { recursive: true });
  // NamesrvStartup and BrokerStartup load $ROCKETMQ_HOME/conf/logback_{namesrv,broker}.xml.
  writeFileSync(join(confDir, 'logback_namesrv.xml'), logbackXml('namesrv.log'));
  writeFileSync(join(confDir, 'logback_broker.xml'), logbackXml('broker.log'));
  const namesrvConf = join(confDir, 'namesrv.properties');
  writeFileSync(namesrvConf, [
    `rocketmqHome=${home}`,
    `listenPort=${NAMESRV_PORT}`,
    `kvConfigPath=${join(storeDir, 'namesrv', 'kvConfig.json')}`,
    'serverWorkerThreads=4',
    'serverSelectorThreads=1',
    '',
  ].join('\n'));
  const broker = new Map([
    ['rocketmqHome', home],
    ['brokerClusterName', 'DefaultCluster'],
    ['brokerName', 'broker-a'],
    ['brokerId', '0'],
    ['brokerRole', 'ASYNC_MASTER'],
    ['brokerIP1', '127.0.0.1'],
    ['brokerIP2', '127.0.0.1'],
    ['listenPort', String(BROKER_PORT)],
    ['namesrvAddr', `127.0.0.1:${NAMESRV_PORT}`],
    ['storePathRootDir', storeDir],
    ['storePathCommitLog', join(storeDir, 'commitlog')],
    ['autoCreateTopicEnable', 'true'],
    ['autoCreateSubscriptionGroup', 'true'],
    ['flushDiskType', 'ASYNC_FLUSH'],
    // The disk this runs on is shared with everything else: do not refuse writes when it passes 75 %.
    ['diskMaxUsedSpaceRatio', '95'],
  ]);
  if (PROFILE === 'test') addTestSettings(broker);
  for (const [k, v] of extraBrokerConf()) broker.set(k, v);
  const brokerConf = join(confDir, 'broker.conf');
  writeFileSync(brokerConf, [...broker].map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  return { namesrvConf, brokerConf };
}

/** Small store files and the delay levels and transaction timings the differential tests compare against. */
function addTestSettings(broker) {
  for (const [k, v] of [
    // Small files: 64 MB commit log segments, 15,000-entry consume queue files, 200,000-entry index files
    // (the defaults are 1 GB, 300,000 entries and a 420 MB index file).
    ['mappedFileSizeCommitLog', String(64 * 1024 * 1024)],
    ['mappedFileSizeConsumeQueue', String(15_000 * 20)],
    ['maxHashSlotNum', '50000'],
    ['maxIndexNum', '200000'],
    ['messageDelayLevel', '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h'],
    ['transactionCheckInterval', '60000'],
    ['transactionTimeOut', '6000'],
  ]) broker.set(k, v);
}

// ---- start / stop ----------------------------------------------------------------------------------------

function jvm(role, heap, args, classpath = `${lib}/*`) {
  const out = openSync(join(logDir, `${role}.stdout.log`), 'a');
  const child = spawn('java', [
    ...heap,
    '-XX:+UseG1GC', '-XX:ReservedCodeCacheSize=64m', '-XX:-OmitStackTraceInFastThrow',
    `-Duser.home=${userHome}`, `-Drocketmq.home.dir=${home}`, `-Drocketmq.namesrv.addr=127.0.0.1:${NAMESRV_PORT}`,
    `-Dlogback.configurationFile=${join(confDir, `logback_${role}.xml`)}`,
    // 4.9 predates JDK 17: unmapping a store file reaches into DirectByteBuffer's cleaner.
    '--add-opens', 'java.base/java.nio=ALL-UNNAMED', '--add-opens', 'java.base/sun.nio.ch=ALL-UNNAMED',
    '--add-opens', 'java.base/jdk.internal.ref=ALL-UNNAMED', '--add-opens', 'java.base/java.lang=ALL-UNNAMED',
    '--add-opens', 'java.base/jdk.internal.misc=ALL-UNNAMED',
    '-cp', classpath, MAIN_CLASS[role], ...args,
  ], { cwd: home, detached: true, stdio: ['ignore', out, out], env: { ...process.env, ROCKETMQ_HOME: home } });
  closeSync(out);
  child.unref();
  return child;
}

function tail(file, lines = 30) {
  const p = join(logDir, file);
  if (!existsSync(p)) return;
  console.error(`--- ${p}`);
  console.error(readFileSync(p, 'utf8').split('\n').slice(-lines).join('\n'));
}

async function failStart(message) {
  console.error(`rocketmq: ${message}; logs in ${logDir}, last lines:`);
  for (const f of ['namesrv.stdout.log', 'namesrv.log', 'broker.stdout.log', 'broker.log', 'proxy.stdout.log']) tail(f);
  await stop();
  process.exit(1);
}


async function start() {
  const { state, namesrv, broker, proxy } = running();
  if (namesrv && broker && (!PROXY_GRPC_PORT || proxy) && (await namesrvReady(state.namesrvPort, state.brokerPort, true))) {
    console.log(`rocketmq: already running (${state.version}) with name server 127.0.0.1:${state.namesrvPort}, broker-a 127.0.0.1:${state.brokerPort}`);
    if (state.namesrvPort !== NAMESRV_PORT || state.brokerPort !== BROKER_PORT || (state.extra ?? '') !== (process.env.ROCKETMQ_BROKER_CONF_EXTRA ?? '')
      || (PROXY_GRPC_PORT && state.proxyGrpcPort !== PROXY_GRPC_PORT)) {
      console.log('rocketmq: note: it was started with other ports or ROCKETMQ_BROKER_CONF_EXTRA; stop it first to apply these');
    }
    return;
  }
  if (namesrv || broker || proxy) {
    console.log('rocketmq: a previous start left only part of it running; stopping that first');
    await stop();
  }
  const version = resolveJars('rocketmq', lib, ['rocketmq-namesrv', 'rocketmq-broker']);
  if (PROXY_GRPC_PORT) resolveJars('rocketmq-proxy', proxyLib, ['rocketmq-proxy'], [version]);
  const proxyPorts = PROXY_GRPC_PORT ? [PROXY_GRPC_PORT - 1, PROXY_GRPC_PORT] : [];
  for (const port of [NAMESRV_PORT, BROKER_PORT - 2, BROKER_PORT, BROKER_PORT + 1, ...proxyPorts]) {
    if (!(await portFree(port))) {
      const proxyNeeds = PROXY_GRPC_PORT ? `; proxy ${proxyPorts.join(', ')}` : '';
      console.error(`rocketmq: port ${port} is in use (needed: name server ${NAMESRV_PORT}; broker ${BROKER_PORT - 2}, ${BROKER_PORT}, ${BROKER_PORT + 1}${proxyNeeds}); set ROCKETMQ_NAMESRV_PORT / ROCKETMQ_BROKER_PORT / ROCKETMQ_PROXY_GRPC_PORT`);
      process.exit(1);
    }
  }
  if (process.env.ROCKETMQ_KEEP_STORE !== '1') rmSync(storeDir, { recursive: true, force: true });
  const { namesrvConf, brokerConf } = writeConfig();
  const started = Date.now();
  const deadline = started + START_TIMEOUT_MS;
  const next = { version, namesrvPort: NAMESRV_PORT, brokerPort: BROKER_PORT, extra: process.env.ROCKETMQ_BROKER_CONF_EXTRA ?? '' };
  const ns = jvm('namesrv', ['-Xms64m', '-Xmx256m', '-XX:MaxDirectMemorySize=128m'], ['-c', namesrvConf]);
  next.namesrv = ns.pid;
  writeFileSync(pidFile, JSON.stringify(next));
  // The broker registers at start and then only every 30 s: start it once the name server answers.
  while (!(await namesrvReady(NAMESRV_PORT, BROKER_PORT, false))) {
    if (!alive(ns.pid, 'namesrv')) return failStart('the name server exited');
    if (Date.now() > deadline) return failStart(`the name server did not answer on 127.0.0.1:${NAMESRV_PORT} within ${START_TIMEOUT_MS / 1000} s`);
    await sleep(250);
  }
  const br = jvm('broker', PROFILE === 'bench' ? ['-Xms1g', '-Xmx1g', '-XX:MaxDirectMemorySize=1g'] : ['-Xms256m', '-Xmx512m', '-XX:MaxDirectMemorySize=256m'], ['-c', brokerConf]);
  next.broker = br.pid;
  writeFileSync(pidFile, JSON.stringify(next));
  while (!(await namesrvReady(NAMESRV_PORT, BROKER_PORT, true))) {
    if (!alive(br.pid, 'broker')) return failStart('the broker exited');
    if (!alive(ns.pid, 'namesrv')) return failStart('the name server exited');
    if (Date.now() > deadline) return failStart(`broker-a did not register with the name server within ${START_TIMEOUT_MS / 1000} s`);
    await sleep(250);
  }
  let proxyUp = '';
  if (PROXY_GRPC_PORT) {
    const px = jvm('proxy', PROFILE === 'bench' ? ['-Xms1g', '-Xmx1g', '-XX:MaxDirectMemorySize=1g'] : ['-Xms256m', '-Xmx512m'],
      ['-pm', 'cluster', '-pc', writeProxyConfig()], `${proxyLib}/*`);
    Object.assign(next, { proxy: px.pid, proxyGrpcPort: PROXY_GRPC_PORT });
    writeFileSync(pidFile, JSON.stringify(next));
    while (!(await listening(PROXY_GRPC_PORT))) {
      if (!alive(px.pid, 'proxy')) return failStart('the proxy exited');
      if (Date.now() > deadline) return failStart(`the proxy did not listen on 127.0.0.1:${PROXY_GRPC_PORT} within ${START_TIMEOUT_MS / 1000} s`);
      await sleep(250);
    }
    proxyUp = `, proxy with gRPC on 127.0.0.1:${PROXY_GRPC_PORT} (pid ${px.pid})`;
  }
  console.log(`rocketmq: ${version} up in ${((Date.now() - started) / 1000).toFixed(1)} s: name server 127.0.0.1:${NAMESRV_PORT} (pid ${ns.pid}), broker-a 127.0.0.1:${BROKER_PORT} (pid ${br.pid})${proxyUp}`);
}

/**
 * Cluster mode: the proxy is a client of broker-a, found through the name server, as in a deployment with separate
 * proxies. Its TLS test mode (the default) also takes plaintext connections, which the benchmark's client uses.
 */
function writeProxyConfig() {
  const file = join(confDir, 'rmq-proxy.json');
  writeFileSync(file, JSON.stringify({
    rocketMQClusterName: 'DefaultCluster', namesrvAddr: `127.0.0.1:${NAMESRV_PORT}`, proxyMode: 'cluster',
    grpcServerPort: PROXY_GRPC_PORT, remotingListenPort: PROXY_GRPC_PORT - 1,
  }, null, 2));
  return file;
}

function listening(port) {
  return new Promise((done) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); done(true); });
    s.once('error', () => done(false));
  });
}

async function stopOne(role, pid) {
  if (!alive(pid, role)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (alive(pid, role) && Date.now() < deadline) await sleep(250);
  if (alive(pid, role)) {
    console.log(`rocketmq: ${role} (pid ${pid}) ignored SIGTERM for 30 s; killing it`);
    process.kill(pid, 'SIGKILL');
  }
}

async function stop() {
  const { namesrv, broker, proxy } = running();
  if (!namesrv && !broker && !proxy) {
    console.log('rocketmq: not running');
    rmSync(pidFile, { force: true });
    return;
  }
  // Proxy first, as it is the broker's client; then the broker, whose shutdown unregisters from the name server.
  await stopOne('proxy', proxy);
  await stopOne('broker', broker);
  await stopOne('namesrv', namesrv);
  rmSync(pidFile, { force: true });
  console.log('rocketmq: stopped');
}
