// Apache RocketMQ's own benchmark programs (org.apache.rocketmq:rocketmq-example, package
// org.apache.rocketmq.example.benchmark: Producer, BatchProducer, Consumer) from Maven Central, run through
// bench/RocketMQBenchmarkMain.java, which adds per-request latency histograms the programs themselves do not keep.
// The same programs and client drive every RocketMQ target, so the client side costs the same for each.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { resolveClasspath } from '../../scripts/lib/maven-classpath.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TOOL_HOME = join(root, '.cache', 'rocketmq-benchmark');
export const TOOL_LIB = join(TOOL_HOME, 'lib');
const CLASSES = join(TOOL_HOME, 'classes');
const MAIN_SOURCE = join(root, 'bench', 'RocketMQBenchmarkMain.java');
export const TOOL_VERSIONS = (process.env.ROCKETMQ_BENCHMARK_VERSIONS ?? '5.5.0').split(',').map((v) => v.trim()).filter(Boolean);

/** Resolves rocketmq-example (and with it rocketmq-client) and compiles the driver once; idempotent. */
export function prepareBenchmarkTool({ log = (m) => console.error(m) } = {}) {
  const r = resolveClasspath({
    name: 'rocketmq-benchmark', home: TOOL_HOME, lib: TOOL_LIB, versions: TOOL_VERSIONS,
    bom: { groupId: 'org.apache.rocketmq', artifactId: 'rocketmq-all' },
    dependencies: (v) => `    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>rocketmq-example</artifactId><version>${v}</version></dependency>`,
    log,
  });
  const compiled = join(CLASSES, 'RocketMQBenchmarkMain.class');
  if (!existsSync(compiled) || statSync(compiled).mtimeMs < statSync(MAIN_SOURCE).mtimeMs) {
    mkdirSync(CLASSES, { recursive: true });
    const c = spawnSync('javac', ['-nowarn', '-d', CLASSES, '-cp', `${TOOL_LIB}/*`, MAIN_SOURCE], { encoding: 'utf8' });
    if (c.status !== 0) throw new Error(`javac ${MAIN_SOURCE} failed:\n${c.stdout}${c.stderr}`);
  }
  return { version: r.version, classpath: `${CLASSES}:${TOOL_LIB}/*` };
}

/**
 * Starts one benchmark program (role producer | batch-producer | consumer) through the driver. `programArgs` are
 * the program's own options (-n, -t, -w, -s, -g ...). Resolves `done` with the driver's figures; `started` resolves
 * when the client is ready to measure (at once for producers; for the consumer, once its rebalance assigned it queues).
 * @param {{classpath: string, role: string, count: number, warmup?: number, timeoutSeconds?: number,
 *   programArgs: string[], log?: (line: string) => void}} o
 */
export function startBenchmarkProgram({ classpath, role, count, warmup = 0, timeoutSeconds = 300, programArgs, log }) {
  const child = spawn('java', [
    '-Xms512m', '-Xmx1g', '-XX:+UseG1GC', '-Duser.language=en', '-Duser.country=US',
    // The programs log through the client's own logback; keep its files out of the user's home.
    `-Duser.home=${TOOL_HOME}`, '-Drocketmq.client.logUseSlf4j=false',
    '-cp', classpath, 'RocketMQBenchmarkMain', role,
    '--count', String(count), '--warmup', String(warmup), '--timeout-s', String(timeoutSeconds), '--', ...programArgs,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let markStarted;
  const started = new Promise((r) => { markStarted = r; });
  const tail = [];
  let result;
  const onLine = (line) => {
    if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7));
    else {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      if (line.startsWith('ASSIGNED ')) markStarted();
      log?.(line);
    }
  };
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', onLine);
  if (role !== 'consumer') markStarted();
  const done = new Promise((resolveDone, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0 && result) resolveDone(result);
      else reject(new Error(`benchmark ${role} exited ${signal ?? code}${result?.timedOut ? ' (timed out)' : ''}:\n${tail.join('\n')}`));
    });
  });
  return { child, started, done };
}
