// npm run bench:pulsar — the gateway on the Pulsar store beside raw Pulsar, measured in the same run on the same
// standalone: Apache RocketMQ's Java client (4.9.8) through RoP into Pulsar, then pulsar-perf (Pulsar's own load
// tool) straight to Pulsar with the same message size, count and in-flight window. Prints a table with ratios
// and, last, one JSON line with every figure.
//
//   node bench/gateway-vs-pulsar.mjs [--messages 100000] [--size 1024] [--in-flight 64] [--warmup 10000]
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DEFAULT_ADMIN_URL, DEFAULT_SERVICE_URL, createTopicWithSubscription, deleteTopic, freshTopic, resolvePulsarPerf,
  runPulsarPerfConsume, runPulsarPerfProduce,
} from './pulsar-perf.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const harnessJar = join(root, 'test', 'harness', 'java', 'target', 'rop-java-harness.jar');
const { values: v } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    size: { type: 'string', default: '1024' },
    'in-flight': { type: 'string', default: '64' },
    warmup: { type: 'string', default: '10000' },
  },
});
const messages = Number(v.messages);
const size = Number(v.size);
const inFlight = Number(v['in-flight']);
const warmup = Number(v.warmup);
const log = (m) => console.error(m);

function must(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
}

/** Runs the Java harness and returns its summary line. */
function harness(command, options) {
  const args = ['-jar', harnessJar, command, ...Object.entries(options).flatMap(([k, val]) => [`--${k}`, String(val)])];
  const r = spawnSync('java', args, { cwd: root, encoding: 'utf8', timeout: 300_000 });
  const summary = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.event.endsWith('-summary'));
  if (!summary) throw new Error(`harness ${command} gave no summary (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return summary;
}

async function startGateway(namespace) {
  const child = spawn(process.execPath, [
    join(root, 'dist', 'src', 'cli.js'), '--port', '0', '--store', 'pulsar', '--pulsar-url', DEFAULT_SERVICE_URL,
    '--pulsar-admin-url', DEFAULT_ADMIN_URL, '--pulsar-namespace', namespace, '--pulsar-system-namespace', `rocketmq/${namespace}-sys`,
  ], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error('gateway did not start in 30 s')), 30_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const rec = JSON.parse(line);
        if (rec.msg === 'rop listening') { clearTimeout(timer); resolvePort(rec.port); }
        if (rec.level >= 50) log(`gateway: ${line}`);
      } catch { /* not a log line */ }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`gateway exited with ${code}`)); });
  });
  return { address: `127.0.0.1:${port}`, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

const fmt = (n) => (n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));
const ms = (n) => (n === undefined ? '—' : n.toFixed(1));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '—');

async function main() {
  must(process.execPath, ['scripts/pulsar.mjs', 'start']);
  must(process.execPath, ['scripts/java-peers.mjs']);
  const perf = resolvePulsarPerf({ log });

  const namespace = `bench-${Date.now().toString(36)}`;
  log(`gateway: RocketMQ Java client → RoP (--store pulsar) → Pulsar, ${messages} × ${size} B, ${inFlight} in flight`);
  const gw = await startGateway(namespace);
  let rop;
  try {
    if (warmup > 0) harness('bench-produce', { namesrv: gw.address, topic: 'BenchWarmup', count: warmup, 'body-size': size, 'in-flight': inFlight });
    const produce = harness('bench-produce', { namesrv: gw.address, topic: 'BenchTopic', count: messages, 'body-size': size, 'in-flight': inFlight });
    const consume = harness('bench-consume', { namesrv: gw.address, topic: 'BenchTopic', count: messages, group: 'BenchGroup' });
    rop = { produce, consume };
    log(`gateway:   produce ${fmt(produce.msgPerSec)} msg/s (p50 ${ms(produce.p50Ms)} ms, p99 ${ms(produce.p99Ms)} ms), consume ${fmt(consume.msgPerSec)} msg/s`);
  } finally {
    await gw.stop();
  }

  const peers = [];
  for (const batching of [true, false]) {
    const topic = freshTopic(batching ? 'bench-batch' : 'bench-nobatch');
    await createTopicWithSubscription(topic, 'rop-bench');
    try {
      log(`pulsar-perf ${perf.version}: ${messages} × ${size} B, ${inFlight} in flight, batching ${batching ? 'on' : 'off'}`);
      const produce = await runPulsarPerfProduce({ topic, size, messages, maxPending: inFlight, batching });
      const consume = await runPulsarPerfConsume({ topic, subscription: 'rop-bench', messages, size });
      peers.push({ batching, produce, consume });
      log(`pulsar-perf:   produce ${fmt(produce.msgPerSec)} msg/s (p50 ${ms(produce.latencyMs?.p50)} ms), consume ${fmt(consume.msgPerSec)} msg/s`);
    } finally {
      await deleteTopic(topic).catch(() => undefined);
    }
  }

  const rows = [
    ['RoP gateway (RocketMQ Java client 4.9.8, async)', rop.produce.msgPerSec, rop.produce.p50Ms, rop.produce.p99Ms, rop.consume.msgPerSec],
    ...peers.map((p) => [`pulsar-perf ${perf.version}, batching ${p.batching ? 'on' : 'off'}`, p.produce.msgPerSec, p.produce.latencyMs?.p50, p.produce.latencyMs?.p99, p.consume.msgPerSec]),
  ];
  console.log(`\n${messages.toLocaleString('en-US')} messages of ${size} B, ${inFlight} in flight, Pulsar 4.2.4 standalone, ${new Date().toISOString()}\n`);
  console.log('| load | produce msg/s | p50 ms | p99 ms | consume msg/s |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [name, p, p50, p99, c] of rows) console.log(`| ${name} | ${fmt(p)} | ${ms(p50)} | ${ms(p99)} | ${fmt(c)} |`);
  for (const p of peers) {
    console.log(`| ratio RoP / pulsar-perf (batching ${p.batching ? 'on' : 'off'}) | ${ratio(rop.produce.msgPerSec, p.produce.msgPerSec)} | | | ${ratio(rop.consume.msgPerSec, p.consume.msgPerSec)} |`);
  }
  console.log(JSON.stringify({ messages, size, inFlight, rop, peers: peers.map((p) => ({ tool: `pulsar-perf ${perf.version}`, ...p })) }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
