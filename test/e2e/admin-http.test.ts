import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, freePort, startGateway, testStore, type GatewayProcess, adminOfWorkerZeroOnly } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { JavaHarness, deliveries, expectedMessage, type HarnessEvent } from '../support/java-harness.js';
import { parseMetrics, sum } from '../support/prometheus.js';

const TOPIC = 'HttpTopic';
const GROUP = 'HttpGroup';

interface Answer { status: number; body: any }

async function call(gw: GatewayProcess, method: string, path: string, body?: unknown, raw?: string): Promise<Answer> {
  const res = await fetch(gw.httpUrl + path, {
    method,
    headers: body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {},
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

async function produce(gw: GatewayProcess, count: number): Promise<HarnessEvent[]> {
  const events = await JavaHarness.run('produce', { namesrv: gw.address, topic: TOPIC, count, mode: 'sync', tags: 'TagA' });
  const sent = events.filter((e) => e.event === 'sent' && e.status === 'SEND_OK');
  assert.equal(sent.length, count);
  return sent;
}

test('the admin HTTP API and /metrics report a known load exactly', { timeout: 240_000, skip: adminOfWorkerZeroOnly }, async (t) => {
  const gw = await startGateway({ http: true, args: ['--default-queues', '2'] });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });

  assert.deepEqual((await call(gw, 'GET', '/healthz')).body, { status: 'ok' });
  assert.equal((await call(gw, 'GET', '/readyz')).status, 200);

  // Topic creation and its refusals.
  const created = await call(gw, 'POST', '/api/topics', { name: TOPIC, queues: 3 });
  assert.equal(created.status, 201);
  assert.equal(created.body.queues.length, 3);
  assert.equal((await call(gw, 'POST', '/api/topics', { name: TOPIC })).status, 409);
  for (const bad of [{ name: 'bad name' }, { name: 'Ok', queues: 0 }, { name: 'Ok', queues: 'x' }, {}, { name: 'Ok', order: 'yes' }]) {
    const r = await call(gw, 'POST', '/api/topics', bad);
    assert.equal(r.status, 400, JSON.stringify(bad));
    assert.equal(typeof r.body.error, 'string');
  }
  assert.equal((await call(gw, 'POST', '/api/topics', undefined, '{not json')).status, 400);
  assert.equal((await call(gw, 'GET', '/api/topics/NoSuchTopic')).status, 404);
  assert.equal((await call(gw, 'GET', '/api/groups/NoSuchGroup')).status, 404);
  assert.equal((await call(gw, 'GET', '/api/nowhere')).status, 404);

  // 30 messages, all consumed by the group; then 12 more it has not consumed.
  const first = await produce(gw, 30);
  const consumer = JavaHarness.start('push-consume', { namesrv: gw.address, topic: TOPIC, group: GROUP, 'timeout-ms': 120_000 });
  try {
    await consumer.waitFor((e) => deliveries(e).length >= 30, 60_000, '30 deliveries');
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    await consumer.stop();
  }
  assert.equal(deliveries(consumer.events).length, 30);
  await produce(gw, 12);

  const topic = await call(gw, 'GET', `/api/topics/${TOPIC}`);
  assert.equal(topic.status, 200);
  assert.equal(topic.body.queues.reduce((n: number, q: any) => n + q.maxOffset - q.minOffset, 0), 42);
  const listed = (await call(gw, 'GET', '/api/topics')).body.find((x: any) => x.name === TOPIC);
  assert.equal(listed.messages, 42);
  assert.equal(listed.kind, 'normal');

  const group = await call(gw, 'GET', `/api/groups/${GROUP}`);
  assert.equal(group.status, 200);
  assert.equal(group.body.lag, 12, 'the group lags by the 12 messages sent after it stopped');
  const probe = await RemotingProbe.connect(gw.address);
  try {
    for (const p of group.body.progress.filter((x: any) => x.topic === TOPIC)) {
      assert.equal(p.brokerOffset, await probe.maxOffset(TOPIC, p.queueId));
      assert.equal(p.consumerOffset, await probe.committedOffset(GROUP, TOPIC, p.queueId));
      assert.equal(p.lag, p.brokerOffset - p.consumerOffset);
    }
  } finally {
    probe.close();
  }
  assert.ok((await call(gw, 'GET', '/api/groups')).body.some((g: any) => g.group === GROUP && g.lag === 12));

  // Metrics after the known load: 42 in, 30 out to the group, 12 behind.
  const metrics = await call(gw, 'GET', '/metrics');
  assert.equal(metrics.status, 200);
  const samples = parseMetrics(metrics.body);
  const bytes = (n: number) => Array.from({ length: n }, (_, i) => expectedMessage(i, []).body.length).reduce((a, b) => a + b, 0);
  assert.equal(sum(samples, 'rocketmq_messages_in_total', { topic: TOPIC }), 42);
  assert.equal(sum(samples, 'rocketmq_throughput_in_total', { topic: TOPIC }), bytes(30) + bytes(12));
  assert.equal(sum(samples, 'rocketmq_messages_out_total', { topic: TOPIC, consumer_group: GROUP }), 30);
  assert.equal(sum(samples, 'rocketmq_message_accumulation', { topic: TOPIC, group: GROUP }), 12);
  assert.equal(sum(samples, 'rocketmq_consumer_lag_messages', { topic: TOPIC, consumer_group: GROUP }), 12);
  assert.equal(sum(samples, 'rocketmq_producer_offset', { topic: TOPIC }), 42);
  assert.ok(sum(samples, 'rocketmq_rpc_latency_count', { request_code: 'SEND_MESSAGE_V2', response_code: '0' }) >= 42, 'every send is in the latency histogram');
  assert.ok(sum(samples, 'rocketmq_rpc_latency_count', { request_code: 'PULL_MESSAGE' }) > 0, 'pulls are in the latency histogram');
  assert.ok(sum(samples, 'rop_store_flush_latency_seconds_count') > 0, 'flushes are timed');
  assert.ok(samples.some((s) => s.name === 'rop_held_pulls'));
  assert.ok(samples.some((s) => s.name === 'rop_store_ready' && s.labels.store === testStore && s.value === 1));
  if (testStore === 'pulsar') assert.ok(sum(samples, 'rop_pulsar_connections') >= 1, 'the Pulsar client reports its open connections');

  // Messages by key (both runs sent key-5), by client msgId, by offsetMsgId, by offset.
  const byKey = await call(gw, 'GET', `/api/messages?topic=${TOPIC}&key=key-5`);
  assert.equal(byKey.body.messages.length, 2);
  for (const m of byKey.body.messages) {
    assert.equal(m.bodyEncoding, 'base64');
    assert.deepEqual(Buffer.from(m.body, 'base64'), expectedMessage(5, []).body);
    assert.equal(m.tags, 'TagA');
  }
  const sent7 = first.find((e) => e.i === 7)!;
  const byId = await call(gw, 'GET', `/api/messages?topic=${TOPIC}&msgId=${sent7.msgId}`);
  assert.equal(byId.body.messages.length, 1);
  assert.equal(byId.body.messages[0].msgId, sent7.msgId);
  assert.equal(byId.body.messages[0].properties.idx, '7');
  const byOffsetId = await call(gw, 'GET', `/api/messages?msgId=${byId.body.messages[0].offsetMsgId}`);
  assert.equal(byOffsetId.body.messages[0].msgId, sent7.msgId);
  const byOffset = await call(gw, 'GET', `/api/messages?topic=${TOPIC}&queueId=${sent7.queueId}&offset=${sent7.queueOffset}&max=1`);
  assert.equal(byOffset.body.messages[0].msgId, sent7.msgId);
  assert.equal((await call(gw, 'GET', `/api/messages?msgId=${sent7.msgId}`)).status, 400, 'a client msgId alone is not enough');
  assert.equal((await call(gw, 'GET', '/api/messages?topic=NoSuchTopic&key=k')).status, 404);
  assert.equal((await call(gw, 'GET', `/api/messages?topic=${TOPIC}&queueId=x&offset=0`)).status, 400);

  // Offset resets: to the earliest message, to a time after every message, and the refusals.
  const reset = await call(gw, 'POST', `/api/groups/${GROUP}/reset-offsets`, { topic: TOPIC, position: 'earliest' });
  assert.equal(reset.status, 200);
  assert.deepEqual(reset.body.queues.map((q: any) => q.offset), [0, 0, 0]);
  assert.equal((await call(gw, 'GET', `/api/groups/${GROUP}`)).body.lag, 42);
  await call(gw, 'POST', `/api/groups/${GROUP}/reset-offsets`, { topic: TOPIC, timestamp: new Date(Date.now() + 60_000).toISOString() });
  assert.equal((await call(gw, 'GET', `/api/groups/${GROUP}`)).body.lag, 0);
  assert.equal((await call(gw, 'POST', `/api/groups/${GROUP}/reset-offsets`, { topic: TOPIC, offset: 1, position: 'latest' })).status, 400);
  assert.equal((await call(gw, 'POST', `/api/groups/${GROUP}/reset-offsets`, { topic: TOPIC, timestamp: 'yesterday-ish' })).status, 400);
  assert.equal((await call(gw, 'POST', `/api/groups/${GROUP}/reset-offsets`, { topic: 'NoSuchTopic', position: 'latest' })).status, 404);

  const cluster = (await call(gw, 'GET', '/api/cluster')).body;
  assert.equal(cluster.advertisedAddress, gw.address);
  assert.ok(cluster.topicCount >= 1);
});

test('while the store is still opening, /healthz answers, /readyz says starting and the API 503', { timeout: 60_000 }, async () => {
  // A Pulsar "cluster" that accepts connections and never answers keeps the store opening.
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
  const deadPort = (silent.address() as { port: number }).port;
  const httpPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'rop-starting-'));
  const child = spawn(process.execPath, [cliPath, '--port', '0', '--http-port', String(httpPort), '--grpc-port', '0', '--data-dir', dataDir, '--store', 'pulsar',
    '--pulsar-url', `pulsar://127.0.0.1:${deadPort}`, '--pulsar-admin-url', `http://127.0.0.1:${deadPort}`], { stdio: 'ignore' });
  try {
    const base = `http://127.0.0.1:${httpPort}`;
    let health: Response | undefined;
    for (let i = 0; i < 100 && !health; i++) {
      health = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      if (!health) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(health?.status, 200, '/healthz answers while the store opens');
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { status: 'not ready', reason: 'starting' });
    const api = await fetch(`${base}/api/topics`);
    assert.equal(api.status, 503);
    assert.equal(((await api.json()) as { error: string }).error, 'the gateway is starting');
    assert.equal((await fetch(`${base}/metrics`)).status, 503);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    silent.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
