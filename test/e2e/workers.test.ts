import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { startGateway, testStore, type GatewayProcess } from '../support/gateway.js';
import { JavaHarness, deliveries, type HarnessEvent } from '../support/java-harness.js';
import { createTopic, routeOf } from '../support/cluster.js';
import { mqadminOk } from '../support/mqadmin.js';
import { parseMetrics } from '../support/prometheus.js';

const started: GatewayProcess[] = [];
const dataDirs: string[] = [];

test.after(async () => {
  for (const gw of started) await gw.kill();
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
});

async function gateway(dataDir: string, workers: number, args: string[] = [], http = false): Promise<GatewayProcess> {
  const gw = await startGateway({ dataDir, http, args: ['--workers', String(workers), ...args] });
  started.push(gw);
  return gw;
}

const newDataDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'rop-workers-'));
  dataDirs.push(d);
  return d;
};

/** The workers' broker addresses, as the primary's "rop listening" line lists their gateways. */
const workerAddresses = (gw: GatewayProcess): string[] => (gw.logs.find((l) => l.msg === 'rop listening')!.workers as string[]);

const refused = (address: string): Promise<boolean> => new Promise((resolve) => {
  const [host, port] = address.split(':');
  const s = connect(Number(port), host!);
  s.once('connect', () => { s.destroy(); resolve(false); });
  s.once('error', () => resolve(true));
});

test('--workers 2: two brokers in every route, a topic made at one worker is known at the other, messages spread over both and are all consumed', { timeout: 180_000 }, async () => {
  const gw = await gateway(newDataDir(), 2, ['--no-auto-create-topics'], true);
  const [first, second] = workerAddresses(gw);
  assert.equal(first, gw.address, 'worker 0 answers at --port');
  assert.equal((await createTopic(gw.address, 'WorkersTopic', 4)).code, 0);
  for (const at of [first!, second!]) {
    const route = await routeOf(at, 'WorkersTopic');
    assert.deepEqual(route.queueDatas.map((q) => [q.brokerName, q.writeQueueNums]), [['rop-broker-0', 4], ['rop-broker-1', 4]], `the route at ${at}`);
    assert.equal(new Set(route.brokerDatas.map((b) => b.brokerAddrs['0'])).size, 2, 'each broker at an address of its own');
  }
  const clusterList = await mqadminOk(gw.address, ['clusterList']);
  assert.match(clusterList, /rop-broker-0/);
  assert.match(clusterList, /rop-broker-1/);

  const sent = await JavaHarness.run('produce', { namesrv: gw.address, topic: 'WorkersTopic', count: 400, mode: 'sync' });
  const ok = sent.filter((e) => e.event === 'sent');
  assert.equal(ok.length, 400);
  const byBroker = new Map<string, number>();
  for (const e of ok) byBroker.set(String(e.broker), (byBroker.get(String(e.broker)) ?? 0) + 1);
  assert.ok((byBroker.get('rop-broker-0') ?? 0) > 0 && (byBroker.get('rop-broker-1') ?? 0) > 0, `sends spread over both brokers: ${JSON.stringify([...byBroker])}`);

  const c = JavaHarness.start('push-consume', { namesrv: gw.address, topic: 'WorkersTopic', group: 'WorkersGroup' });
  try {
    await c.waitFor((e) => deliveries(e).length >= 400, 60_000, '400 deliveries');
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    await c.stop();
  }
  const got = deliveries(c.events);
  assert.equal(new Set(got.map((m) => `${String(m.broker)}/${m.queueId}:${m.queueOffset}`)).size, 400, 'every message once');
  assert.equal(got.length, 400);

  // /metrics at worker 0 serves every worker's samples, each labelled with its worker.
  const metrics = parseMetrics(await (await fetch(`${gw.httpUrl}/metrics`)).text());
  const stored = metrics.filter((m) => m.name === 'rocketmq_messages_in_total' && m.labels.topic === 'WorkersTopic');
  assert.deepEqual(stored.map((m) => m.labels.worker).sort(), ['0', '1']);
  assert.equal(stored.reduce((n, m) => n + m.value, 0), 400, 'the sends counted once, at the worker that stored them');
  assert.deepEqual(stored.map((m) => m.value).sort(), [...byBroker.values()].sort(), 'each worker counts its broker\'s');
  assert.equal(new Set(metrics.filter((m) => m.name === 'process_resident_memory_bytes').map((m) => m.labels.worker)).size, 2, 'each worker\'s process');
});

test('a single-process data dir taken over by --workers 2 keeps its topics and messages; kill -9 of the primary ends its workers', { timeout: 180_000 }, async () => {
  const dataDir = newDataDir();
  const single = await gateway(dataDir, 1);
  await JavaHarness.run('produce', { namesrv: single.address, topic: 'UpgradeTopic', count: 100, mode: 'sync' });
  assert.equal(await single.stop(), 0);

  const gw = await gateway(dataDir, 2);
  const route = await routeOf(workerAddresses(gw)[1]!, 'UpgradeTopic');
  // On the embedded store each worker is a broker; on Pulsar the workers join the cluster the single gateway made,
  // whose slot count was fixed when it was made (one), so the second worker serves none.
  const brokers = testStore === 'pulsar' ? 1 : 2;
  assert.equal(route.queueDatas.length, brokers, 'worker 1 knows the topic worker 0 brought');
  const c = JavaHarness.start('push-consume', { namesrv: gw.address, topic: 'UpgradeTopic', group: 'UpgradeGroup' });
  try {
    await c.waitFor((e) => deliveries(e).length >= 100, 60_000, 'the 100 messages of the single process');
  } finally {
    await c.stop();
  }
  assert.deepEqual(new Set(deliveries(c.events).map((m) => Number((m.props as Record<string, string>).idx))).size, 100);

  const addresses = workerAddresses(gw);
  await gw.kill();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !(await Promise.all(addresses.map(refused))).every(Boolean)) await new Promise((r) => setTimeout(r, 100));
  assert.ok((await Promise.all(addresses.map(refused))).every(Boolean), 'no worker listens after its primary was killed');
});

test('kill -9 of the primary under a sync produce: after a restart with --workers 2 every acknowledged message is at its broker, queue and offset', { timeout: 180_000 }, async () => {
  const dataDir = newDataDir();
  const gw = await gateway(dataDir, 2);
  const producer = JavaHarness.start('produce', { namesrv: gw.address, topic: 'WorkersDurable', count: 3000, mode: 'sync', 'send-timeout-ms': 3000 });
  await producer.waitFor((e) => e.filter((x) => x.event === 'sent').length >= 600, 90_000, '600 acknowledged sends');
  await gw.kill();
  await producer.stop(2000);
  const acked = producer.events.filter((e) => e.event === 'sent');
  const where = (e: HarnessEvent): string => `${String(e.broker)}/${String(e.queueId)}:${String(e.queueOffset)}`;
  assert.ok(acked.length >= 600 && acked.length < 3000, `the kill cut the produce short after ${acked.length} acknowledgements`);
  assert.equal(new Set(acked.map((e) => e.broker)).size, 2, 'both workers took sends');

  const again = await gateway(dataDir, 2);
  const audit = JavaHarness.start('push-consume', { namesrv: again.address, topic: 'WorkersDurable', group: 'WorkersDurableAudit' });
  try {
    const found = (): Map<string, string> => new Map(deliveries(audit.events).map((m) => [where(m), String((m.props as Record<string, string>).idx)]));
    await audit.waitFor(() => acked.every((e) => found().has(where(e))), 90_000, 'every acknowledged message consumed after the restart');
    const got = found();
    for (const e of acked) assert.equal(got.get(where(e)), String(e.i), `message ${String(e.i)} at ${where(e)}`);
  } finally {
    await audit.stop();
  }
});
