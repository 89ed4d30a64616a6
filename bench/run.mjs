// npm run bench [-- --quick] [--pulsar auto|start|off] [--rounds N] [--workloads id,id] [--out bench/results/latest.md]
//                [--profile] [--workers N]
//
// RoP beside Apache RocketMQ, and RoP's Pulsar store beside Pulsar driven directly, in one run on 127.0.0.1:
//   rop         the gateway on its embedded store
//   rocketmq    Apache RocketMQ's own name server and broker (5.x from Maven Central, default settings, ASYNC_FLUSH)
//   rop-pulsar  the gateway with --store pulsar              } when Pulsar runs (--pulsar auto, the default for
//   pulsar      Pulsar itself, driven by pulsar-perf          }  --quick) or is started here (--pulsar start)
//   rop-workers the gateway with --workers N (given --workers N, N > 1): N broker processes, one cluster
//   rop-grpc        the gateway's gRPC endpoint, embedded store  } for the gRPC workloads (RocketMQ 5's
//   rocketmq-proxy  Apache's proxy in cluster mode before the    }  MessagingService)
//                   broker above
// The three remoting RocketMQ targets are driven by the same load generator, Apache RocketMQ's own benchmark
// programs (rocketmq-example: Producer, BatchProducer, Consumer), the two gRPC ones by Apache's 5.x Java client, so
// the client costs the same for each. Each workload runs on each pair of its protocol in rounds whose order
// alternates (A B, B A, ...) so drift of the machine cancels in the ratios. Targets no chosen workload uses are not
// started.
// Writes a Markdown report (and the raw figures beside it as .json) and prints it. --profile runs the gateways under
// node --cpu-prof (profiles in bench/results/profiles/) and adds each one's heaviest functions and source lines to the report.
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { prepareBenchmarkTool, startBenchmarkProgram } from './lib/rocketmq-benchmark-tool.mjs';
import { gatewayProfiles } from './lib/cpu-profile.mjs';
import { measureCluster, renderClusterFigure } from './lib/cluster-figure.mjs';
import { benchTargets, createRocketMQTopic, processTree } from './lib/targets.mjs';
import { sampleProcesses } from './lib/process-usage.mjs';
import { renderReport } from './lib/report.mjs';
import { WORKLOADS } from './lib/workloads.mjs';
import {
  DEFAULT_ADMIN_URL, DEFAULT_SERVICE_URL, createTopicWithSubscription, resolvePulsarPerf, runPulsarPerfConsume,
  runPulsarPerfProduce,
} from './pulsar-perf.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: v } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    pulsar: { type: 'string' },
    rounds: { type: 'string' },
    workloads: { type: 'string' },
    out: { type: 'string', default: join('bench', 'results', 'latest.md') },
    verbose: { type: 'boolean', short: 'v', default: false },
    profile: { type: 'boolean', default: false },
    workers: { type: 'string' },
  },
});
const quick = v.quick;
const pulsarMode = v.pulsar ?? (quick ? 'auto' : 'start');
if (!['auto', 'start', 'off'].includes(pulsarMode)) fail(`--pulsar must be auto, start or off, not ${pulsarMode}`);
// Quick runs each workload once per target; the pair's order still alternates from one workload to the next.
const rounds = Number(v.rounds ?? (quick ? 1 : 2));
const chosen = v.workloads ? v.workloads.split(',') : WORKLOADS.filter((w) => !quick || w.quick).map((w) => w.id);
const workloads = chosen.map((id) => WORKLOADS.find((w) => w.id === id) ?? fail(`unknown workload ${id}; known: ${WORKLOADS.map((w) => w.id).join(', ')}`));
for (const [i, w] of workloads.entries()) {
  if (w.from && !workloads.slice(0, i).some((x) => x.id === w.from)) fail(`workload ${w.id} consumes what ${w.from} produced; list ${w.from} before it`);
}
const scale = quick ? 'quick' : 'full';
const log = (m) => console.error(`[bench ${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${m}`);
const began = Date.now();
const QUEUES = 4;
const workerCount = Number(v.workers ?? 1);
if (!Number.isInteger(workerCount) || workerCount < 1) fail(`--workers must be a whole number of at least 1, not ${v.workers}`);

const PROFILE_DIR = join(root, 'bench', 'results', 'profiles');
const ROCKETMQ = {
  version: process.env.ROCKETMQ_BENCH_VERSION ?? '5.5.0', namesrvPort: 29876, brokerPort: 20911, proxyGrpcPort: 28081,
  home: join(root, '.cache', 'rocketmq-5'),
};
const grpcChosen = workloads.some((w) => w.protocol === 'grpc');
const rocketmqEnv = {
  ...process.env, ROCKETMQ_VERSION: ROCKETMQ.version, ROCKETMQ_PROFILE: 'bench', ROCKETMQ_HOME_DIR: ROCKETMQ.home,
  ROCKETMQ_NAMESRV_PORT: String(ROCKETMQ.namesrvPort), ROCKETMQ_BROKER_PORT: String(ROCKETMQ.brokerPort), ROCKETMQ_BROKER_CONF_EXTRA: '',
  // The proxy runs only for the gRPC workloads, so the remoting figures of a run without them are as before.
  ROCKETMQ_PROXY_GRPC_PORT: grpcChosen ? String(ROCKETMQ.proxyGrpcPort) : '',
};

const { gatewayTarget, rocketmqTarget, pulsarPid, pulsarRunning, pulsarPerfTarget } = benchTargets({
  root, profileDir: v.profile ? PROFILE_DIR : undefined, rocketmq: ROCKETMQ, rocketmqEnv, log,
});

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

// ---- running one workload on one target -------------------------------------------------------------------

const produced = new Map();
let measurements = 0;
const topicName = (w, target, round) => `bench_${w.id.replace(/[^A-Za-z0-9]/g, '_')}_${target.name.replace(/-/g, '_')}_${round}_${began.toString(36)}`;

async function measured(target, body) {
  const sampler = sampleProcesses(target.pids());
  const result = await body();
  return { ...result, usage: sampler.stop() };
}

const programLog = v.verbose ? (l) => console.error(`  | ${l}`) : undefined;

/**
 * The load generator of a protocol: `produce` starts a producer of `count` messages after the workload's warm-up
 * (in requests of w.batch), `consume` a consumer of `count` after `warmup`, in a new group.
 */
const loadGenerators = {
  remoting: (tool) => ({
    tool,
    produce: (target, w, topic, count) => startBenchmarkProgram({
      tool, role: w.batch > 1 ? 'batch-producer' : 'producer', count: Math.ceil(count / w.batch), warmup: Math.ceil(w.warmup[scale] / w.batch),
      programArgs: ['-n', target.namesrv, '-t', topic, '-w', String(w.threads), '-s', String(w.size), ...(w.batch > 1 ? ['-b', String(w.batch)] : [])],
      log: programLog,
    }),
    consume: (target, topic, group, count, warmup) => startBenchmarkProgram({
      tool, role: 'consumer', count, warmup, programArgs: ['-n', target.namesrv, '-t', topic, '-g', group], log: programLog,
    }),
  }),
  grpc: (tool) => ({
    tool,
    produce: (target, w, topic, count) => startBenchmarkProgram({
      tool, role: 'producer', count, warmup: w.warmup[scale],
      programArgs: ['--endpoints', target.endpoints, '--topic', topic, '--threads', String(w.threads), '--size', String(w.size)], log: programLog,
    }),
    consume: (target, topic, group, count, warmup) => startBenchmarkProgram({
      tool, role: 'push-consumer', count, warmup, programArgs: ['--endpoints', target.endpoints, '--topic', topic, '--group', group], log: programLog,
    }),
  }),
};

/**
 * A produce+consume workload's rate: messages over the time from the producer's first measured send to the
 * consumer's last receipt, so a broker whose consumer falls behind is not credited with its producer's pace.
 * Falls back to the producer's rate when either end is unknown.
 */
function deliveredPerSec(messages, fromEpochMs, lastEpochMs, producerPerSec) {
  if (!fromEpochMs || !lastEpochMs || lastEpochMs <= fromEpochMs) return producerPerSec;
  return Math.min(producerPerSec, messages / ((lastEpochMs - fromEpochMs) / 1000));
}

async function runRocketMQWorkload(generator, target, w, round) {
  const count = w.messages[scale];
  // A target in two pairs (Apache's broker beside rop and rop --workers) runs a workload twice in a round: each run
  // gets its own topic and group, or the second consumer would find the first one's group done.
  const seq = ++measurements;
  if (w.kind === 'consume') {
    const source = produced.get(`${target.name}:${round}:${w.from}`);
    if (!source) throw new Error(`workload ${w.id} consumes what ${w.from} produced; run that one too`);
    return measured(target, async () => {
      const consumer = await generator.consume(target, source.topic, `${source.topic}_g${seq}`, source.messages - source.warmup, source.warmup).done;
      return { messages: consumer.measuredMessages, processed: consumer.completed, msgPerSec: consumer.msgPerSec, consume: consumer };
    });
  }
  const topic = `${topicName(w, target, round)}_${seq}`;
  await createRocketMQTopic(target, topic, QUEUES);
  if (w.kind === 'produce') {
    const r = await measured(target, async () => {
      const producer = await generator.produce(target, w, topic, count).done;
      return { messages: producer.measuredMessages, processed: producer.completed * w.batch, msgPerSec: producer.msgPerSec, send: producer };
    });
    produced.set(`${target.name}:${round}:${w.id}`, { topic, messages: r.send.completed * w.batch, warmup: r.send.warmup * w.batch });
    return r;
  }
  const consumer = generator.consume(target, topic, `${topic}_group`, count, w.warmup[scale]);
  // Nothing is sent before the consumer holds its queues, so what is measured is end to end, not a backlog.
  await Promise.race([consumer.started, consumer.done]);
  return measured(target, async () => {
    const producer = await generator.produce(target, w, topic, count).done;
    const consume = await consumer.done;
    return {
      messages: producer.measuredMessages, processed: producer.completed * w.batch,
      msgPerSec: deliveredPerSec(producer.measuredMessages, producer.fromEpochMs, consume.lastEpochMs, producer.msgPerSec),
      produceMsgPerSec: producer.msgPerSec, consumeMsgPerSec: consume.msgPerSec, send: producer, consume,
    };
  });
}

const pulsarTopic = (w, round) => `persistent://public/default/${topicName(w, { name: 'pulsar' }, round).replace(/_/g, '-')}`;
const perfLatency = (l) => l && { p50: l.p50, p99: l.p99, p999: l.p999, max: l.max };

/**
 * The same workload with pulsar-perf straight to Pulsar: one producer with as many messages in flight in all as the
 * RocketMQ programs have (threads x batch), batching only for the batch workloads (at most `batch` per entry).
 * pulsar-perf's window (-o) is per partition, so the topic has min(threads, QUEUES) partitions and each gets its
 * share: a 1-thread run gets 1 partition, or Pulsar would have 4 sends in flight to the RocketMQ client's 1.
 */
async function runPulsarWorkload(target, w, round) {
  const count = w.messages[scale];
  const partitions = Math.min(w.threads, QUEUES);
  const produceOptions = (topic) => ({
    topic, size: w.size, messages: count + w.warmup[scale], producers: 1, maxPending: (w.threads * w.batch) / partitions,
    batching: w.batch > 1, batchMaxMessages: w.batch > 1 ? w.batch : undefined, warmupSeconds: 1,
  });
  if (w.kind === 'consume') {
    const source = produced.get(`${target.name}:${round}:${w.from}`);
    return measured(target, async () => {
      const c = await runPulsarPerfConsume({ topic: source.topic, subscription: 'bench', messages: source.messages, size: w.size });
      return { messages: source.messages, processed: source.messages, msgPerSec: c.msgPerSec, consume: { tool: c } };
    });
  }
  const topic = pulsarTopic(w, round);
  await createTopicWithSubscription(topic, 'bench', DEFAULT_ADMIN_URL, partitions);
  if (w.kind === 'produce') {
    const r = await measured(target, async () => {
      const p = await runPulsarPerfProduce(produceOptions(topic));
      return { messages: p.messages, processed: p.messages, msgPerSec: p.msgPerSec, send: { latencyMs: perfLatency(p.latencyMs), tool: p } };
    });
    produced.set(`${target.name}:${round}:${w.id}`, { topic, messages: count + w.warmup[scale], warmup: 0 });
    return r;
  }
  return measured(target, async () => {
    const consuming = runPulsarPerfConsume({ topic, subscription: 'bench', messages: count + w.warmup[scale], size: w.size });
    const p = await runPulsarPerfProduce(produceOptions(topic));
    const c = await consuming;
    return {
      messages: p.messages, processed: p.messages,
      msgPerSec: deliveredPerSec(p.messages, p.readyEpochMs, c.doneEpochMs, p.msgPerSec), produceMsgPerSec: p.msgPerSec, consumeMsgPerSec: c.msgPerSec,
      send: { latencyMs: perfLatency(p.latencyMs), tool: p }, consume: { latencyMs: c.publishToReceiveMs, tool: c },
    };
  });
}

// ---- the run ------------------------------------------------------------------------------------------------

/** The first produce workload's figures through 1, 2 and 3 gateways of one cluster over the running Pulsar. */
function clusterFigure(generator) {
  const w = WORKLOADS.find((x) => x.id === 'produce-1k-16t');
  return measureCluster({
    root, began, workload: w, count: w.messages[scale], log, pulsar: { serviceUrl: DEFAULT_SERVICE_URL, adminUrl: DEFAULT_ADMIN_URL },
    produce: (namesrv, topic, count, threads) => generator.produce({ namesrv }, { ...w, threads }, topic, count).done,
    createTopic: (address, topic) => createRocketMQTopic({ broker: address, namesrv: address, label: `the cluster at ${address}` }, topic, QUEUES),
  });
}

async function main() {
  spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  log(`workloads: ${workloads.map((w) => w.id).join(', ')}; ${rounds} round(s) each; ${scale} sizes`);
  const protocols = [...new Set(workloads.map((w) => w.protocol))];
  const generators = Object.fromEntries(protocols.map((p) => [p, loadGenerators[p](prepareBenchmarkTool({ protocol: p, log }))]));
  const pairs = [];
  const rocketmq = rocketmqTarget();
  if (generators.remoting) pairs.push({ ours: gatewayTarget('rop', 'rop (embedded store)', 39876), peer: rocketmq, ratio: 'rop / Apache RocketMQ', protocol: 'remoting' });
  if (generators.remoting && workerCount > 1) {
    const ours = gatewayTarget('rop-workers', `rop --workers ${workerCount} (embedded store)`, 39879, {
      extraArgs: ['--workers', String(workerCount)],
    });
    // A worker's CPU and memory count with its primary's: they are one gateway.
    ours.pids = function workerPids() {
      return Object.fromEntries(processTree(this.primaryPid()).map((pid, i) => [i === 0 ? 'gateway' : `worker${i - 1}`, pid]));
    };
    pairs.push({ ours, peer: rocketmq, ratio: `rop --workers ${workerCount} / Apache RocketMQ`, protocol: 'remoting' });
  }
  if (generators.grpc) {
    pairs.push({
      ours: gatewayTarget('rop-grpc', 'rop gRPC (embedded store)', 39878, { grpcPort: 39881 }), peer: rocketmq.proxy,
      ratio: 'rop gRPC / Apache proxy', protocol: 'grpc', needs: [rocketmq],
    });
  }

  let startedPulsar = false;
  let pulsar = generators.remoting && pulsarMode !== 'off' && pulsarRunning();
  if (generators.remoting && !pulsar && pulsarMode === 'start') {
    log('starting Pulsar standalone (scripts/pulsar.mjs)');
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'pulsar.mjs'), 'start'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    startedPulsar = pulsar = r.status === 0;
    if (!pulsar) log('Pulsar did not start: the Pulsar targets are left out');
  }
  const pulsarNote = pulsar || !generators.remoting ? undefined : `Pulsar targets left out (--pulsar ${pulsarMode}${pulsarMode === 'auto' ? ': no Pulsar running; start one with npm run pulsar:start or pass --pulsar start' : ''}).`;
  if (pulsar) {
    resolvePulsarPerf({ log });
    const ropPulsar = gatewayTarget('rop-pulsar', 'rop --store pulsar', 39877, {
      extraArgs: [
        '--store', 'pulsar', '--pulsar-url', DEFAULT_SERVICE_URL, '--pulsar-admin-url', DEFAULT_ADMIN_URL,
        '--pulsar-namespace', `bench-${began.toString(36)}`,
      ],
      extraPids: () => ({ pulsar: pulsarPid() }),
    });
    pairs.push({ ours: ropPulsar, peer: pulsarPerfTarget(process.env.PULSAR_VERSION ?? '4.2.4'), ratio: 'rop-pulsar / Pulsar direct', protocol: 'remoting' });
  }

  // What a target needs runs first (the broker before its proxy), and each starts once.
  const targets = [...new Set(pairs.flatMap((p) => [...(p.needs ?? []), p.ours, p.peer]))];
  const results = [];
  let cluster;
  try {
    try {
      for (const t of targets) {
        log(`starting ${t.label}`);
        await t.start();
      }
      for (const [i, w] of workloads.entries()) {
        for (let round = 1; round <= rounds; round++) {
          for (const pair of pairs.filter((p) => p.protocol === w.protocol)) {
            const order = (round + i) % 2 === 1 ? [pair.ours, pair.peer] : [pair.peer, pair.ours];
            for (const t of order) {
              const r = t.kind === 'pulsar-perf' ? await runPulsarWorkload(t, w, round) : await runRocketMQWorkload(generators[w.protocol], t, w, round);
              log(`${w.id} round ${round} ${t.name}: ${Math.round(r.msgPerSec)} msg/s${r.send ? `, send p50 ${r.send.latencyMs?.p50} p99 ${r.send.latencyMs?.p99} ms` : ''}, server CPU ${r.usage.total.cpuSeconds.toFixed(1)} s, peak RSS ${r.usage.total.peakRssMB.toFixed(0)} MB`);
              results.push({ workload: w.id, round, target: t.name, ...r });
            }
          }
        }
      }
    } finally {
      await Promise.all(targets.map((t) => t.stop().catch((e) => log(`stopping ${t.label}: ${e.message}`))));
    }
    if (pulsar) cluster = await clusterFigure(generators.remoting);
  } finally {
    if (startedPulsar) spawnSync(process.execPath, [join(root, 'scripts', 'pulsar.mjs'), 'stop'], { cwd: root, stdio: 'ignore' });
  }

  const machine = {
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`, memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version, java: spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr.split('\n')[0],
  };
  const profiles = v.profile ? gatewayProfiles(pairs.map((p) => p.ours), { root, dir: PROFILE_DIR, log }) : [];
  const report = renderReport({
    at: new Date().toISOString(), seconds: (Date.now() - began) / 1000, scale, rounds, machine,
    tools: Object.fromEntries(Object.entries(generators).map(([p, g]) => [p, g.tool.version])),
    targets: targets.map((t) => ({ name: t.name, label: t.label })), pairs: pairs.map((p) => ({ ours: p.ours.name, peer: p.peer.name, ratio: p.ratio })),
    workloads, results, notes: pulsarNote ? [pulsarNote] : [], profiles,
  }) + (cluster ? `\n${renderClusterFigure(cluster)}` : '');
  const out = resolve(root, v.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, report);
  writeFileSync(out.replace(/\.md$/, '') + '.json', JSON.stringify({ machine, scale, rounds, workloads, results, cluster }, null, 2));
  console.log(report);
  log(`written to ${out}`);
}

await main();
