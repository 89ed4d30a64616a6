// Raw Apache Pulsar throughput with Pulsar's own pulsar-perf tool (org.apache.pulsar:pulsar-testclient), the peer
// figure for the gateway's benchmarks. Import the functions below, or run scripts/pulsar-perf.mjs.
//
// The test client is resolved from Maven Central into .cache/pulsar-perf/lib, apart from the broker's .cache/pulsar/lib:
// the mirror serves pulsar-testclient only at a few versions (no 4.2.x), and a 4.0.x client talks fine to the
// 4.2.4 standalone that scripts/pulsar.mjs runs. Versions are tried in order (PULSAR_PERF_VERSIONS, comma-separated).
import { spawn } from 'node:child_process';
import { resolveClasspath } from '../scripts/lib/maven-classpath.mjs';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const PERF_HOME = join(root, '.cache', 'pulsar-perf');
export const PERF_LIB = join(PERF_HOME, 'lib');

export const DEFAULT_VERSIONS = (process.env.PULSAR_PERF_VERSIONS ?? '4.0.8,4.0.6').split(',').map((v) => v.trim()).filter(Boolean);
export const DEFAULT_SERVICE_URL = `pulsar://127.0.0.1:${process.env.PULSAR_BROKER_PORT ?? 6650}`;
export const DEFAULT_ADMIN_URL = `http://127.0.0.1:${process.env.PULSAR_WEB_PORT ?? 8090}`;

/** pulsar-testclient without its broker-side tools' dependencies, plus the logging backend the broker brought. */
const testclientDependencies = (version) => `    <dependency>
      <groupId>org.apache.pulsar</groupId><artifactId>pulsar-testclient</artifactId><version>${version}</version>
      <exclusions>
        <!-- Needed only by pulsar-perf's broker-side tools (monitor-brokers, simulation-*, managed-ledger), not by
             produce/consume; the mirror lacks parts of its tree at 4.0.x (jetcd-core-shaded, pulsar-opentelemetry). -->
        <exclusion><groupId>org.apache.pulsar</groupId><artifactId>pulsar-broker</artifactId></exclusion>
      </exclusions>
    </dependency>
    <!-- The tool prints its figures through SLF4J; versions from the BOM. -->
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId></dependency>`;

/**
 * Resolves pulsar-testclient (first version of `versions` that Maven can resolve) into .cache/pulsar-perf/lib.
 * Idempotent: a lib already resolved at one of `versions` is kept.
 * @returns {{version: string, lib: string, jars: number, bytes: number, seconds: number,
 *   cached: boolean, tried: {version: string, ok: boolean, seconds: number, error?: string}[]}}
 */
export function resolvePulsarPerf({ versions = DEFAULT_VERSIONS, log = (m) => console.error(m) } = {}) {
  const r = resolveClasspath({
    name: 'pulsar-perf', home: PERF_HOME, lib: PERF_LIB, versions,
    bom: { groupId: 'org.apache.pulsar', artifactId: 'pulsar' }, dependencies: testclientDependencies, log,
  });
  return { ...r, lib: PERF_LIB };
}

// ---------------------------------------------------------------------------------------------------------------
// Running produce / consume

const JAVA_MAIN = join(root, 'bench', 'PulsarPerfMain.java');
const LOG4J = join(PERF_HOME, 'log4j2.xml');
/** pulsar-perf's RateLimiter rejects 0 ("rate must be positive"), so "unlimited" is a rate no client reaches. */
export const UNLIMITED_RATE = 1_000_000_000;

function writeLog4j() {
  // %r: milliseconds since JVM start, used to time the run from the tool's own lines. Only the tool's loggers at INFO.
  writeFileSync(LOG4J, `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="warn">
  <Appenders><Console name="out" target="SYSTEM_OUT"><PatternLayout pattern="%r %-5p %c{1} - %m%n"/></Console></Appenders>
  <Loggers>
    <Logger name="org.apache.pulsar.testclient" level="info"/>
    <Root level="warn"><AppenderRef ref="out"/></Root>
  </Loggers>
</Configuration>
`);
}

const num = (s) => Number(String(s).replace(/,/g, '').trim());
const round = (x, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);

/** Lines of pulsar-perf's log as {ms, level, logger, text}; continuation lines (stack traces, config JSON) have ms = null. */
function parseLog(out) {
  return out.split('\n').map((line) => {
    const m = /^(\d+) (\w+)\s+(\S+) - (.*)$/.exec(line);
    return m ? { ms: Number(m[1]), level: m[2], logger: m[3], text: m[4] } : { ms: null, level: null, logger: null, text: line };
  });
}

function latencyOf(lines) {
  const line = lines.find((l) => l.text.startsWith('Aggregated latency stats'));
  const m = line && /mean:\s*([\d.,]+) ms - med:\s*([\d.,]+) - 95pct:\s*([\d.,]+) - 99pct:\s*([\d.,]+) - 99\.9pct:\s*([\d.,]+) - 99\.99pct:\s*([\d.,]+) - 99\.999pct:\s*([\d.,]+) - Max:\s*([\d.,]+)/.exec(line.text);
  if (!m) return null;
  const [mean, p50, p95, p99, p999, p9999, , max] = m.slice(1).map(num);
  return { mean, p50, p95, p99, p999, p9999, max };
}

function aggregateOf(lines, verb) {
  const re = new RegExp(`Aggregated throughput stats --- ([\\d,]+) records ${verb} --- ([\\d.,]+) msg/s --- ([\\d.,]+) Mbit/s`);
  for (const l of lines) {
    const m = re.exec(l.text);
    if (m) return { records: num(m[1]), msgPerSec: num(m[2]), mbitPerSec: num(m[3]) };
  }
  return null;
}

const firstMs = (lines, re) => lines.find((l) => l.ms !== null && re.test(l.text))?.ms;

/**
 * Runs one pulsar-perf command in a JVM of its own; resolves with its log lines.
 * `onLine` gets every output line (default: none); the process is killed after `timeoutMs`.
 */
/** @param {string} command @param {string[]} args @param {{timeoutMs?: number, onLine?: (line: string) => void, javaOpts?: string[]}} [options] */
function runTool(command, args, { timeoutMs = 600_000, onLine, javaOpts = [] } = {}) {
  const { version } = resolvePulsarPerf();
  writeLog4j();
  const java = [
    '-Xms256m', '-Xmx1g', '-XX:MaxDirectMemorySize=1g',
    // Number formats must not depend on the machine's locale; log4j must not stop before the tool's shutdown hook
    // prints the consumer's aggregated figures.
    '-Duser.language=en', '-Duser.country=US', '-Dlog4j2.shutdownHookEnabled=false',
    `-Dlog4j2.configurationFile=${LOG4J}`, ...javaOpts,
    '-cp', `${PERF_LIB}/*`, JAVA_MAIN, command, ...args,
  ];
  return new Promise((done, fail) => {
    const started = Date.now();
    const child = spawn('java', java, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let pending = '';
    const take = (chunk) => {
      const s = chunk.toString();
      out += s;
      if (!onLine) return;
      pending += s;
      const parts = pending.split('\n');
      pending = parts.pop();
      for (const p of parts) onLine(p);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); fail(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = parseLog(out);
      const wallSeconds = (Date.now() - started) / 1000;
      const errors = lines.filter((l) => l.level === 'ERROR').map((l) => l.text);
      if (code !== 0 || signal) {
        const tail = out.split('\n').slice(-25).join('\n');
        fail(new Error(`pulsar-perf ${command} exited ${signal ?? code} after ${wallSeconds.toFixed(1)} s${signal === 'SIGKILL' ? ' (timed out)' : ''}:\n${tail}`));
        return;
      }
      done({ version, lines, errors, wallSeconds, args, spawnedAtMs: started });
    });
  });
}

/**
 * pulsar-perf produce. Options (defaults in brackets):
 *   topic (required), serviceUrl [pulsar://127.0.0.1:6650], adminUrl [http://127.0.0.1:8090], size [1024],
 *   messages [100000], producers [1], connections [1], maxPending [1000] (-o; 0 = the client's default, unbounded
 *   within its 64 MB memory limit), batching [true] (false: -db), batchDelayMs [1], batchMaxMessages [the tool's
 *   default, 1000], rate [0 = unlimited],
 *   warmupSeconds [0] (latencies of the first seconds are left out of the histogram; the tool's own default is 1),
 *   statsIntervalSeconds [1], timeoutMs [600000], onLine.
 * msgPerSec is `messages` over the time from "Created N producers" to the tool's "DONE" line, that is the
 * moment the N-th send is acknowledged. toolAggregate is the tool's own closing line, kept for reference but not a
 * rate to quote: its clock runs from before the producers connect until the next stats tick after DONE, and in 4.0.x
 * the producer's tick is a fixed 10 s (it ignores -i), so a 3 s run is divided by 10 s; its record count includes
 * the messages still in flight at DONE (up to maxPending more than asked).
 */
export async function runPulsarPerfProduce(opts) {
  const o = {
    serviceUrl: DEFAULT_SERVICE_URL, adminUrl: DEFAULT_ADMIN_URL, size: 1024, messages: 100_000, producers: 1,
    connections: 1, maxPending: 1000, batching: true, batchDelayMs: 1, rate: 0, warmupSeconds: 0, statsIntervalSeconds: 1,
    ...opts,
  };
  if (!o.topic) throw new Error('runPulsarPerfProduce: topic is required');
  const args = [
    '-u', o.serviceUrl, '-au', o.adminUrl,
    '-s', String(o.size), '-m', String(o.messages), '-n', String(o.producers), '-c', String(o.connections),
    '-o', String(o.maxPending), '-r', String(o.rate > 0 ? o.rate : UNLIMITED_RATE),
    '--warmup-time', String(o.warmupSeconds), '-i', String(o.statsIntervalSeconds),
    ...(o.batching ? ['-b', String(o.batchDelayMs), ...(o.batchMaxMessages ? ['-bm', String(o.batchMaxMessages)] : [])] : ['-db']),
    o.topic,
  ];
  const run = await runTool('produce', args, o);
  const { lines } = run;
  const ready = firstMs(lines, /^Created \d+ producers/);
  const doneAt = firstMs(lines, /DONE \(reached the maximum number/);
  const tool = aggregateOf(lines, 'sent');
  const latency = latencyOf(lines);
  if (!tool || ready === undefined || doneAt === undefined) {
    throw new Error(`pulsar-perf produce: no summary in its output${run.errors.length ? `; errors: ${run.errors.join(' | ')}` : ''}\n${lines.slice(-15).map((l) => l.text).join('\n')}`);
  }
  const seconds = (doneAt - ready) / 1000;
  const msgPerSec = o.messages / seconds;
  return {
    // On the wall clock: the tool's lines count from its JVM's start, taken here as the spawn (tens of ms early).
    readyEpochMs: run.spawnedAtMs + ready,
    kind: 'produce', tool: 'pulsar-perf', version: run.version, topic: o.topic,
    size: o.size, messages: o.messages, producers: o.producers, connections: o.connections, maxPending: o.maxPending,
    batching: o.batching, ...(o.batching ? { batchDelayMs: o.batchDelayMs } : {}), rate: o.rate > 0 ? o.rate : 'unlimited',
    warmupSeconds: o.warmupSeconds,
    seconds: round(seconds, 3), msgPerSec: round(msgPerSec), MBps: round((msgPerSec * o.size) / 1e6, 2),
    latencyMs: latency && { p50: latency.p50, p95: latency.p95, p99: latency.p99, p999: latency.p999, max: latency.max, mean: latency.mean },
    toolAggregate: tool && { records: tool.records, msgPerSec: tool.msgPerSec, MBps: round((tool.mbitPerSec * 1024 * 1024) / 8 / 1e6, 2) },
    errors: run.errors.length ? run.errors : undefined,
    wallSeconds: round(run.wallSeconds, 1),
  };
}

/**
 * pulsar-perf consume. Options (defaults in brackets): topic (required), subscription ['rop-perf'],
 * subscriptionType [Exclusive], position ['Earliest'] (for a subscription the tool creates), messages [100000]
 * (stop after this many; the tool exits at once), consumers [1], receiverQueue [1000], connections [1],
 * serviceUrl, statsIntervalSeconds [1], timeoutMs, onLine.
 * msgPerSec is `messages` over the time from "Start receiving" to "DONE"; toolAggregate.msgPerSec is the tool's
 * closing line, whose clock also covers the consumers' subscribe. publishToReceiveMs is the tool's latency (receive
 * time less publish time): on a backlog it measures how old the backlog is, not the consumer.
 */
export async function runPulsarPerfConsume(opts) {
  const o = {
    serviceUrl: DEFAULT_SERVICE_URL, subscription: 'rop-perf', subscriptionType: 'Exclusive', position: 'Earliest',
    messages: 100_000, consumers: 1, receiverQueue: 1000, connections: 1, statsIntervalSeconds: 1, ...opts,
  };
  if (!o.topic) throw new Error('runPulsarPerfConsume: topic is required');
  const args = [
    '-u', o.serviceUrl, '-ss', o.subscription, '-st', o.subscriptionType, '-sp', o.position,
    '-m', String(o.messages), '-n', String(o.consumers), '-q', String(o.receiverQueue), '-c', String(o.connections),
    '-i', String(o.statsIntervalSeconds),
    o.topic,
  ];
  const run = await runTool('consume', args, o);
  const { lines } = run;
  const ready = firstMs(lines, /^Start receiving from/);
  const doneAt = firstMs(lines, /-+ DONE -+/);
  const tool = aggregateOf(lines, 'received');
  const latency = latencyOf(lines);
  if (!tool || ready === undefined || doneAt === undefined) {
    throw new Error(`pulsar-perf consume: no summary in its output${run.errors.length ? `; errors: ${run.errors.join(' | ')}` : ''}\n${lines.slice(-15).map((l) => l.text).join('\n')}`);
  }
  const seconds = (doneAt - ready) / 1000;
  const msgPerSec = o.messages / seconds;
  const bytesPerMsg = o.size ?? null;
  return {
    doneEpochMs: run.spawnedAtMs + doneAt,
    kind: 'consume', tool: 'pulsar-perf', version: run.version, topic: o.topic, subscription: o.subscription,
    subscriptionType: o.subscriptionType, position: o.position, messages: o.messages, consumers: o.consumers,
    receiverQueue: o.receiverQueue,
    seconds: round(seconds, 3), msgPerSec: round(msgPerSec), MBps: bytesPerMsg ? round((msgPerSec * bytesPerMsg) / 1e6, 2) : undefined,
    toolAggregate: { records: tool.records, msgPerSec: tool.msgPerSec, MBps: round((tool.mbitPerSec * 1024 * 1024) / 8 / 1e6, 2) },
    publishToReceiveMs: latency && { p50: latency.p50, p99: latency.p99 },
    errors: run.errors.length ? run.errors : undefined,
    wallSeconds: round(run.wallSeconds, 1),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Topics, through the broker's admin REST API

function topicPath(topic) {
  const m = /^(persistent|non-persistent):\/\/([^/]+)\/([^/]+)\/(.+)$/.exec(topic);
  if (!m) throw new Error(`not a full topic name: ${topic}`);
  return `${m[1]}/${m[2]}/${m[3]}/${encodeURIComponent(m[4])}`;
}

async function admin(adminUrl, method, path, body) {
  const res = await fetch(`${adminUrl}/admin/v2/${path}`, {
    method, signal: AbortSignal.timeout(30_000),
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`admin ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
}

/**
 * Creates a topic (non-partitioned, or with `partitions` partitions) and a durable subscription on it at the earliest position, before anything is
 * produced: the subscription holds the produced backlog for a later consume (with no subscription and no retention,
 * Pulsar may trim what was produced).
 */
export async function createTopicWithSubscription(topic, subscription, adminUrl = DEFAULT_ADMIN_URL, partitions = 0) {
  if (partitions > 0) await admin(adminUrl, 'PUT', `${topicPath(topic)}/partitions`, partitions);
  else await admin(adminUrl, 'PUT', topicPath(topic));
  await admin(adminUrl, 'PUT', `${topicPath(topic)}/subscription/${encodeURIComponent(subscription)}`, { ledgerId: -1, entryId: -1, partitionIndex: -1 });
}

export async function deleteTopic(topic, adminUrl = DEFAULT_ADMIN_URL, partitioned = false) {
  await admin(adminUrl, 'DELETE', `${topicPath(topic)}${partitioned ? '/partitions' : ''}?force=true`);
}

/** A topic name not used before, in public/default. */
export function freshTopic(tag = 'perf', namespace = 'public/default') {
  return `persistent://${namespace}/rop-${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * The peer figures for the gateway's benchmarks: for each batching setting, a fresh topic with its subscription,
 * produce `messages` messages, then consume that backlog from the earliest position; the topic is deleted after
 * unless keepTopics. Returns {version, runs: [{batching, produce, consume}]}.
 */
/**
 * @param {{size?: number, messages?: number, batchingModes?: boolean[], keepTopics?: boolean,
 *   produce?: Record<string, any>, consume?: Record<string, any>, log?: (m: string) => void, onLine?: (line: string) => void}} [options]
 */
export async function runPulsarPerfBench({ size = 1024, messages = 100_000, batchingModes = [false, true], keepTopics = false, produce = {}, consume = {}, log = (m) => console.error(m), onLine } = {}) {
  const resolved = resolvePulsarPerf({ log });
  const runs = [];
  for (const batching of batchingModes) {
    const topic = freshTopic(batching ? 'perf-batch' : 'perf-nobatch');
    const subscription = 'rop-perf';
    await createTopicWithSubscription(topic, subscription, produce.adminUrl);
    try {
      log(`pulsar-perf: produce ${messages} x ${size} B, batching ${batching ? 'on' : 'off'}, to ${topic}`);
      const p = await runPulsarPerfProduce({ ...produce, topic, size, messages, batching, onLine });
      log(`pulsar-perf:   ${p.msgPerSec} msg/s, ${p.MBps} MB/s, p50 ${p.latencyMs?.p50} ms, p99 ${p.latencyMs?.p99} ms`);
      log(`pulsar-perf: consume ${messages} from the earliest position`);
      const c = await runPulsarPerfConsume({ ...consume, topic, subscription, messages, size, onLine });
      log(`pulsar-perf:   ${c.msgPerSec} msg/s, ${c.MBps} MB/s`);
      runs.push({ batching, produce: p, consume: c });
    } finally {
      if (!keepTopics) await deleteTopic(topic, produce.adminUrl).catch((e) => log(`pulsar-perf: could not delete ${topic}: ${e.message}`));
    }
  }
  return { tool: 'pulsar-perf', version: resolved.version, broker: process.env.PULSAR_VERSION ?? '4.2.4', size, messages, at: new Date().toISOString(), runs };
}
