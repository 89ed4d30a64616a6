// The cluster figure: one workload against 1, 2 and 3 gateways that form one cluster of 3 broker slots over the
// same Pulsar, with the gateways' throughput and their CPU per message (summed over the gateways). More gateways on
// a two-core machine do not add cores; what the figure shows is what a gateway costs per message as the cluster
// grows (no read fan-out: each partition is tailed by its slot's owner only), and that the cluster keeps serving.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sampleProcesses } from './process-usage.mjs';

const SLOTS = 3;
const QUEUES_PER_SLOT = 4;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A port free at the time of asking. Fixed ports fail at random here: they sit in Linux's ephemeral range, where any
 * outgoing connection may hold one (a CI run lost its cluster figure to a gateway that could not bind 39891).
 */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts a gateway of cluster `name` and resolves once it says it is listening (it has learnt every slot's owner). */
function startGateway({ root, port, name, pulsar }) {
  const dataDir = join(root, '.cache', 'bench', `${name}-${port}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(process.execPath, [
    join(root, 'dist', 'src', 'cli.js'), '--port', String(port), '--http-port', '0', '--grpc-port', '0', '--data-dir', dataDir,
    '--store', 'pulsar', '--pulsar-url', pulsar.serviceUrl, '--pulsar-admin-url', pulsar.adminUrl,
    '--pulsar-namespace', name, '--pulsar-system-namespace', `rocketmq/${name}-sys`, '--cluster-slots', String(SLOTS),
  ], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  const listening = new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      buffered += d;
      if (buffered.includes('"rop listening"')) resolve();
      if (buffered.length > 65536) buffered = buffered.slice(-4096);
    });
    // Its log goes to stdout: the last lines say why it stopped.
    void exited.then((code) => reject(new Error(`cluster gateway on ${port} exited ${code} before listening:\n${buffered.trim().split('\n').slice(-5).join('\n')}`)));
    setTimeout(() => reject(new Error(`cluster gateway on ${port} did not listen within 60 s`)), 60_000).unref();
  });
  return {
    pid: child.pid, address: `127.0.0.1:${port}`, listening,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      if (!(await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]))) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Runs `workload` (a remoting produce workload) with 1, 2 and 3 gateways, each cluster new. `produce(namesrv,
 * topic, count, threads)` runs the load generator to the end and resolves with its figures; `createTopic(address, topic,
 * queues)` creates a topic through a gateway.
 */
export async function measureCluster({ root, began, workload, count, pulsar, produce, createTopic, log }) {
  const rows = [];
  for (const size of [1, 2, 3]) {
    const name = `bench-cluster-${began.toString(36)}-${size}`;
    const gateways = [];
    try {
      for (let i = 0; i < size; i++) {
        const gw = startGateway({ root, port: await freePort(), name, pulsar });
        gateways.push(gw);
        await gw.listening;
      }
      // The last gateway to join takes its slots from the others: let that handover end before measuring.
      await sleep(3000);
      const topic = `bench_cluster_${size}_${began.toString(36)}`;
      await createTopic(gateways[0].address, topic, QUEUES_PER_SLOT);
      const sampler = sampleProcesses(Object.fromEntries(gateways.map((g, i) => [`gateway${i}`, g.pid])));
      // The same load per gateway (the workload's threads for each), as when each gateway has a machine of its own.
      const r = await produce(gateways[0].address, topic, count, workload.threads * size);
      const usage = sampler.stop();
      const cpuMicrosPerMsg = (usage.total.cpuSeconds * 1e6) / (r.completed * workload.batch);
      rows.push({ gateways: size, threads: workload.threads * size, msgPerSec: r.msgPerSec, sendP99: r.latencyMs?.p99, cpuMicrosPerMsg, cpuSeconds: usage.total.cpuSeconds });
      log(`cluster of ${size}: ${Math.round(r.msgPerSec)} msg/s, gateways' CPU ${cpuMicrosPerMsg.toFixed(0)} µs per message`);
    } finally {
      await Promise.all(gateways.map((g) => g.stop()));
    }
  }
  return { workload: workload.id, title: workload.title, slots: SLOTS, queues: SLOTS * QUEUES_PER_SLOT, count, rows };
}

/** The figure as Markdown: one row per cluster size, and CPU per message against one gateway's. */
export function renderClusterFigure(figure) {
  const one = figure.rows.find((r) => r.gateways === 1);
  const lines = [
    `## Cluster: ${figure.title}, through 1, 2 and 3 gateways`, '',
    `One cluster of ${figure.slots} broker slots (${figure.queues} queues) over the same Pulsar, ${figure.count.toLocaleString('en-US')} messages, the load generator given the first gateway's address only and as many producer threads per gateway as the workload has. CPU is the gateways' own (Pulsar's is not counted), summed over them.`, '',
    '| Gateways | producer threads | msg/s | send p99 ms | gateways\' CPU µs per message | CPU per message / 1 gateway\'s |', '|---|---|---|---|---|---|',
    ...figure.rows.map((r) => `| ${r.gateways} | ${r.threads} | ${Math.round(r.msgPerSec).toLocaleString('en-US')} | ${r.sendP99 ?? '–'} | ${r.cpuMicrosPerMsg.toFixed(0)} | ${one ? `${(r.cpuMicrosPerMsg / one.cpuMicrosPerMsg).toFixed(2)}×` : '–'} |`),
    '',
  ];
  return lines.join('\n');
}
