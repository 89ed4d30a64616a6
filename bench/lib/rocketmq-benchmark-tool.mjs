// The load generators of the RocketMQ targets, from Maven Central, each run through a driver of ours that measures
// it the same way (bench/BenchmarkFigures.java):
//   remoting  Apache RocketMQ's own benchmark programs (org.apache.rocketmq:rocketmq-example, package
//             org.apache.rocketmq.example.benchmark: Producer, BatchProducer, Consumer) with their 4.x-protocol client,
//             through bench/RocketMQBenchmarkMain.java, which adds per-request latency histograms the programs
//             themselves do not keep;
//   grpc      Apache's 5.x gRPC client (org.apache.rocketmq:rocketmq-client-java), through
//             bench/RocketMQ5BenchmarkMain.java (a Producer with sync sends from N threads, a PushConsumer).
// The same programs and client drive every target of a protocol, so the client side costs the same for each.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { resolveClasspath } from '../../scripts/lib/maven-classpath.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const versions = (variable, fallback) => (process.env[variable] ?? fallback).split(',').map((v) => v.trim()).filter(Boolean);
const dependency = (artifactId) => (v) => `    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>${artifactId}</artifactId><version>${v}</version></dependency>`;

const TOOLS = {
  remoting: {
    name: 'rocketmq-benchmark', mainClass: 'RocketMQBenchmarkMain', versions: versions('ROCKETMQ_BENCHMARK_VERSIONS', '5.5.0'),
    // rocketmq-all, the parent of every module, pins rocketmq-example's dependencies as Apache's distribution ships them.
    bom: { groupId: 'org.apache.rocketmq', artifactId: 'rocketmq-all' }, dependencies: dependency('rocketmq-example'),
    // The programs log through the client's own logback.
    jvmArgs: ['-Drocketmq.client.logUseSlf4j=false'],
  },
  grpc: {
    name: 'rocketmq5-benchmark', mainClass: 'RocketMQ5BenchmarkMain', versions: versions('ROCKETMQ5_CLIENT_VERSIONS', '5.2.0'),
    // The client jar shades its gRPC, Netty and protobuf: its parent pins nothing else that matters.
    bom: { groupId: 'org.apache.rocketmq', artifactId: 'rocketmq-client-java-parent' }, dependencies: dependency('rocketmq-client-java'),
    // Its shaded logback writes under rocketmq.log.root at warn, not to the console (which the driver reads).
    jvmArgs: (home) => [`-Drocketmq.log.root=${join(home, 'logs')}`, '-Drocketmq.log.level=warn', '-Dmq.consoleAppender.enabled=false'],
  },
};

/**
 * Resolves the load generator of `protocol` (remoting | grpc) and compiles its driver once; idempotent.
 * @returns {{version: string, classpath: string, mainClass: string, jvmArgs: string[], home: string}}
 */
export function prepareBenchmarkTool({ protocol = 'remoting', log = (m) => console.error(m) } = {}) {
  const t = TOOLS[protocol];
  const home = join(root, '.cache', t.name);
  const lib = join(home, 'lib');
  const classes = join(home, 'classes');
  const r = resolveClasspath({ name: t.name, home, lib, versions: t.versions, bom: t.bom, dependencies: t.dependencies, log });
  const sources = [t.mainClass, 'BenchmarkFigures'].map((c) => join(root, 'bench', `${c}.java`));
  const compiled = join(classes, `${t.mainClass}.class`);
  if (!existsSync(compiled) || sources.some((s) => statSync(compiled).mtimeMs < statSync(s).mtimeMs)) {
    mkdirSync(classes, { recursive: true });
    const c = spawnSync('javac', ['-nowarn', '-d', classes, '-cp', `${lib}/*`, ...sources], { encoding: 'utf8' });
    if (c.status !== 0) throw new Error(`javac ${sources.join(' ')} failed:\n${c.stdout}${c.stderr}`);
  }
  const jvmArgs = typeof t.jvmArgs === 'function' ? t.jvmArgs(home) : t.jvmArgs;
  return { version: r.version, classpath: `${classes}:${lib}/*`, mainClass: t.mainClass, jvmArgs, home };
}

/**
 * Starts one role of a load generator (remoting: producer | batch-producer | consumer; grpc: producer |
 * push-consumer) through its driver. `programArgs` are the program's own options (-n, -t, -w, -s, -g ...;
 * --endpoints, --topic ...). Resolves `done` with the driver's figures; `started` resolves when the client is ready
 * to measure (at once for producers; for a consumer, once it holds queues).
 * @param {{tool: ReturnType<typeof prepareBenchmarkTool>, role: string, count: number, warmup?: number,
 *   timeoutSeconds?: number, programArgs: string[], log?: (line: string) => void}} o
 */
export function startBenchmarkProgram({ tool, role, count, warmup = 0, timeoutSeconds = 300, programArgs, log }) {
  const child = spawn('java', [
    '-Xms512m', '-Xmx1g', '-XX:+UseG1GC', '-Duser.language=en', '-Duser.country=US',
    // Keep the clients' files out of the user's home.
    `-Duser.home=${tool.home}`, ...tool.jvmArgs,
    '-cp', tool.classpath, tool.mainClass, role,
    '--count', String(count), '--warmup', String(warmup), '--timeout-s', String(timeoutSeconds), '--', ...programArgs,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let markStarted;
  const started = new Promise((r) => { markStarted = r; });
  const tail = [];
  let result;
  const onLine = (line) => {
    // Java prints an undefined rate (nothing measured) as NaN, which JSON has no word for.
    if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7).replace(/\bNaN\b/g, 'null'));
    else {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      if (line.startsWith('ASSIGNED ')) markStarted();
      log?.(line);
    }
  };
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', onLine);
  if (!role.endsWith('consumer')) markStarted();
  const done = new Promise((resolveDone, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0 && result?.measuredMessages > 0) resolveDone(result);
      else if (code === 0 && result) reject(new Error(`benchmark ${role} measured nothing (${result.completed} completed, ${result.failed} failed):\n${tail.join('\n')}`));
      else reject(new Error(`benchmark ${role} exited ${signal ?? code}${result?.timedOut ? ' (timed out)' : ''}:\n${tail.join('\n')}`));
    });
  });
  return { child, started, done };
}
