// Raw Apache Pulsar throughput with pulsar-perf (org.apache.pulsar:pulsar-testclient from Maven Central), the peer
// figure for the gateway's benchmarks. Needs the standalone broker (node scripts/pulsar.mjs start).
//
//   node scripts/pulsar-perf.mjs resolve
//   node scripts/pulsar-perf.mjs produce --topic T [--size 1024] [--messages 100000] [--producers 1] [--connections 1]
//                                        [--max-pending 1000] [--no-batching] [--batch-delay-ms 1] [--rate 0]
//                                        [--warmup 0] [--create-subscription NAME]
//   node scripts/pulsar-perf.mjs consume --topic T [--messages 100000] [--subscription rop-perf] [--consumers 1]
//                                        [--receiver-queue 1000] [--position Earliest] [--size 1024]
//   node scripts/pulsar-perf.mjs bench   [--size 1024] [--messages 100000] [--only batching|no-batching] [--keep-topics]
// Each prints one JSON document on stdout; progress, and with --verbose the tool's own log, go to stderr.
// --rate 0 means unlimited. Topics are full names (persistent://public/default/x); produce makes a fresh one in
// public/default when --topic is left out. PULSAR_PERF_VERSIONS (4.0.8,4.0.6), PULSAR_BROKER_PORT, PULSAR_WEB_PORT.
import { parseArgs } from 'node:util';
import {
  createTopicWithSubscription, freshTopic, resolvePulsarPerf, runPulsarPerfBench, runPulsarPerfConsume, runPulsarPerfProduce,
} from '../bench/pulsar-perf.mjs';

const usage = 'usage: node scripts/pulsar-perf.mjs resolve | produce [options] | consume --topic T [options] | bench [options] (see the head of this file)';
const [command, ...rest] = process.argv.slice(2);

const { values: v } = parseArgs({
  args: rest,
  options: {
    topic: { type: 'string' },
    size: { type: 'string' },
    messages: { type: 'string' },
    producers: { type: 'string' },
    consumers: { type: 'string' },
    connections: { type: 'string' },
    'max-pending': { type: 'string' },
    'no-batching': { type: 'boolean' },
    batching: { type: 'boolean' },
    'batch-delay-ms': { type: 'string' },
    rate: { type: 'string' },
    warmup: { type: 'string' },
    subscription: { type: 'string' },
    'create-subscription': { type: 'string' },
    'receiver-queue': { type: 'string' },
    position: { type: 'string' },
    only: { type: 'string' },
    'keep-topics': { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
    'service-url': { type: 'string' },
    'admin-url': { type: 'string' },
  },
  strict: true,
});

const int = (name, s) => {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name}: not a number: ${s}`);
    process.exit(2);
  }
  return n;
};
const defined = (o) => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined));
const onLine = v.verbose ? (l) => console.error(`  | ${l}`) : undefined;
const urls = defined({ serviceUrl: v['service-url'], adminUrl: v['admin-url'] });
const print = (x) => console.log(JSON.stringify(x, null, 2));

try {
  switch (command) {
    case 'resolve': {
      const started = Date.now();
      const r = resolvePulsarPerf();
      print({
        version: r.version, lib: r.lib, jars: r.jars, MB: Math.round(r.bytes / 1e5) / 10, cached: r.cached,
        seconds: r.cached ? (Date.now() - started) / 1000 : r.seconds,
        tried: r.tried,
      });
      break;
    }
    case 'produce': {
      const topic = v.topic ?? freshTopic('perf');
      if (v['create-subscription']) await createTopicWithSubscription(topic, v['create-subscription'], urls.adminUrl);
      print(await runPulsarPerfProduce(defined({
        ...urls, topic, size: int('size', v.size), messages: int('messages', v.messages), producers: int('producers', v.producers),
        connections: int('connections', v.connections), maxPending: int('max-pending', v['max-pending']),
        batching: v['no-batching'] ? false : undefined, batchDelayMs: int('batch-delay-ms', v['batch-delay-ms']),
        rate: int('rate', v.rate), warmupSeconds: int('warmup', v.warmup), onLine,
      })));
      break;
    }
    case 'consume': {
      if (!v.topic) throw new Error('consume needs --topic');
      print(await runPulsarPerfConsume(defined({
        ...urls, topic: v.topic, messages: int('messages', v.messages), subscription: v.subscription, consumers: int('consumers', v.consumers),
        connections: int('connections', v.connections), receiverQueue: int('receiver-queue', v['receiver-queue']), position: v.position,
        size: int('size', v.size), onLine,
      })));
      break;
    }
    case 'bench': {
      const modes = { batching: [true], 'no-batching': [false] }[v.only] ?? [false, true];
      const result = await runPulsarPerfBench({
        size: int('size', v.size) ?? 1024, messages: int('messages', v.messages) ?? 100_000, batchingModes: modes,
        keepTopics: v['keep-topics'] ?? false, onLine,
        produce: defined({ ...urls, producers: int('producers', v.producers), connections: int('connections', v.connections), maxPending: int('max-pending', v['max-pending']), warmupSeconds: int('warmup', v.warmup) }),
        consume: defined({ ...urls, receiverQueue: int('receiver-queue', v['receiver-queue']) }),
      });
      print(result);
      console.error('\nbatching  produce msg/s    MB/s  p50 ms  p99 ms | consume msg/s    MB/s');
      for (const r of result.runs) {
        const p = r.produce;
        const c = r.consume;
        console.error(`${(r.batching ? 'on' : 'off').padEnd(8)}  ${String(p.msgPerSec).padStart(13)} ${String(p.MBps).padStart(7)} ${String(p.latencyMs?.p50).padStart(7)} ${String(p.latencyMs?.p99).padStart(7)} | ${String(c.msgPerSec).padStart(13)} ${String(c.MBps).padStart(7)}`);
      }
      break;
    }
    default:
      console.error(usage);
      process.exit(2);
  }
} catch (e) {
  console.error(`pulsar-perf: ${e.message}`);
  process.exit(1);
}
