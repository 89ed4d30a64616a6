import { connect as tlsConnect } from 'node:tls';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { JavaHarness, deliveries, expectedMessage } from '../support/java-harness.js';
import { Java5Harness, assertProduced5, byId, received5 } from '../support/java5-harness.js';
import { RemotingProbe } from '../support/remoting-probe.js';

// Apache RocketMQ's 5.x Java client (gRPC) as producer, SimpleConsumer and PushConsumer, next to its 4.x client
// (remoting) on the same store: ids, bodies, tags, keys and properties are the same whichever side sent.
const QUEUES = 2;

/** Lag as monitoring reads it, once it settles at 0 (a PushConsumer acks after its listener returns), or as last read. */
async function settledLag(gw: GatewayProcess, group: string, topic: string, withinMs = 5000): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const lag = await RemotingProbe.lag(gw.address, group, topic, QUEUES);
    if (lag === 0 || Date.now() > deadline) return lag;
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('RocketMQ 5.x Java client over gRPC, with the 4.x Java client on the same store', { timeout: 120_000 }, async (t) => {
  // Retries wait level 3 onward: one second here, so a failed message returns quickly.
  const gw = await startGateway({ grpc: true, args: ['--default-queues', String(QUEUES), '--message-delay-level', '1s 1s 1s 1s 1s'] });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });
  const endpoints = gw.grpcAddress!;

  await t.test('5.x Producer to 5.x SimpleConsumer: everything arrives as sent, acks leave no lag', async () => {
    const topic = 'Java5Simple';
    const group = 'Java5SimpleGroup';
    const sent = (await Java5Harness.run('produce', { endpoints, topic, count: 10, tags: 'TagA,TagB' })).filter((e) => e.event === 'sent');
    assert.equal(sent.length, 10);
    const events = await Java5Harness.run('simple-consume', { endpoints, topic, group, expect: 10, 'timeout-ms': 30_000 });
    const got = byId(received5(events));
    assert.equal(got.size, 10);
    for (const s of sent) {
      const i = s.i as number;
      const copies = got.get(s.msgId as string);
      assert.ok(copies, `message ${i} (${String(s.msgId)}) arrives under the id its producer got`);
      assert.equal(copies.length, 1, 'delivered once');
      const m = copies[0]!;
      assertProduced5(m, i);
      assert.equal(m.topic, topic);
      assert.equal(m.tag, i % 2 === 0 ? 'TagA' : 'TagB');
      assert.deepEqual(m.keys, [`key-${i}`]);
      assert.equal(m.deliveryAttempt, 1);
      assert.equal(m.messageGroup, null);
    }
    assert.deepEqual(new Set(events.filter((e) => e.event === 'acked').map((e) => e.msgId)), new Set(got.keys()), 'every message acked');
    assert.equal(await settledLag(gw, group, topic), 0, 'every ack is committed');
  });

  await t.test('a 4.x producer\'s messages reach a 5.x PushConsumer with body, tag, keys, properties and id', async () => {
    const topic = 'RemotingToJava5Push';
    const group = 'Java5PushGroup';
    const sent = (await JavaHarness.run('produce', { namesrv: gw.address, topic, count: 8, mode: 'sync', tags: 'TagA,TagB' })).filter((e) => e.event === 'sent');
    assert.equal(sent.length, 8);
    const got = byId(received5(await Java5Harness.run('push-consume', { endpoints, topic, group, expect: 8, 'timeout-ms': 30_000 })));
    assert.equal(got.size, 8);
    for (const s of sent) {
      const i = s.i as number;
      const m = got.get(s.msgId as string)?.[0];
      assert.ok(m, `4.x msgId ${String(s.msgId)} arrives as the 5.x message id`);
      const want = expectedMessage(i, ['TagA', 'TagB']);
      assert.deepEqual(Buffer.from(m.bodyBase64, 'base64'), want.body, `body of ${i}, byte for byte`);
      assert.equal(m.tag, want.tags);
      assert.deepEqual(m.keys, want.keys.split(' '));
      assert.equal(m.properties.idx, want.props.idx);
      assert.equal(m.properties['p-utf8'], want.props['p-utf8']);
      assert.equal(m.deliveryAttempt, 1);
    }
    assert.equal(await settledLag(gw, group, topic), 0, 'every success is acked and committed');
  });

  await t.test('a 5.x Producer\'s normal and FIFO messages reach a 4.x consumer intact', async () => {
    const topic = 'Java5ToRemoting';
    const normal = (await Java5Harness.run('produce', { endpoints, topic, count: 6, tags: 'TagA,TagB' })).filter((e) => e.event === 'sent');
    const fifo = (await Java5Harness.run('produce', { endpoints, topic, count: 4, group: 'order-7' })).filter((e) => e.event === 'sent');
    assert.equal(normal.length + fifo.length, 10);
    const consumer = JavaHarness.start('push-consume', { namesrv: gw.address, topic, group: 'Java5ToRemotingGroup', 'timeout-ms': 60_000 });
    try {
      await consumer.waitFor((e) => deliveries(e).length >= 10, 30_000, '10 deliveries');
    } finally {
      await consumer.stop();
    }
    const got = new Map(deliveries(consumer.events).map((d) => [d.msgId as string, d]));
    assert.equal(got.size, 10);
    for (const s of normal) {
      const i = s.i as number;
      const d = got.get(s.msgId as string);
      assert.ok(d, `the 5.x message id ${String(s.msgId)} is the 4.x msgId`);
      assertProduced5({ bodyBase64: d.bodyBase64, props: d.props }, i);
      assert.equal(d.tags, i % 2 === 0 ? 'TagA' : 'TagB');
      assert.equal(d.keys, `key-${i}`);
    }
    const fifoQueues = new Set<unknown>();
    for (const s of fifo) {
      const d = got.get(s.msgId as string);
      assert.ok(d, `FIFO message ${String(s.i)} delivered`);
      assertProduced5({ bodyBase64: d.bodyBase64, props: d.props }, s.i as number);
      fifoQueues.add(d.queueId);
    }
    assert.equal(fifoQueues.size, 1, 'a message group stays in one queue');
  });

  await t.test('a 5.x PushConsumer: a message whose first delivery fails comes back as attempt 2, then is acked', async () => {
    const topic = 'Java5PushRetry';
    const group = 'Java5PushRetryGroup';
    const sent = (await Java5Harness.run('produce', { endpoints, topic, count: 3 })).filter((e) => e.event === 'sent');
    assert.equal(sent.length, 3);
    const got = byId(received5(await Java5Harness.run('push-consume', { endpoints, topic, group, expect: 3, 'fail-first': 1, 'timeout-ms': 40_000 })));
    for (const s of sent) {
      const attempts = got.get(s.msgId as string) ?? [];
      assert.deepEqual(attempts.map((m) => m.deliveryAttempt), [1, 2], `message ${String(s.i)}: failed once, then delivered again`);
      for (const m of attempts) assertProduced5(m, s.i as number);
    }
    assert.equal(await settledLag(gw, group, topic), 0, 'acked after the second delivery');
  });
});

/** A self-signed certificate for 127.0.0.1, valid one day, in a fresh directory. */
function selfSignedCertificate(): { dir: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rop-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl req failed: ${r.error?.message ?? r.stderr}`);
  return { dir, cert, key };
}

test('with default flags one gRPC port serves TLS and plaintext: the 5.x Java client with SSL on and off both get through', { timeout: 90_000 }, async (t) => {
  const gw = await startGateway({ grpc: true, args: ['--default-queues', String(QUEUES)] });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });
  assert.equal(gw.logs.find((l) => l.msg === 'grpc listening')?.tls, 'permissive');
  assert.ok(gw.logs.some((l) => /self-signed certificate made at start/.test(String(l.msg))), 'says its certificate is self-signed');
  const endpoints = gw.grpcAddress!;
  const topic = 'Java5Either';
  const group = 'Java5EitherGroup';
  const overTls = (await Java5Harness.run('produce', { endpoints, topic, count: 3, tls: true })).filter((e) => e.event === 'sent');
  const plain = (await Java5Harness.run('produce', { endpoints, topic, count: 3 })).filter((e) => e.event === 'sent');
  assert.equal(overTls.length + plain.length, 6);
  const got = byId(received5(await Java5Harness.run('simple-consume', { endpoints, topic, group, expect: 6, tls: true, 'timeout-ms': 30_000 })));
  for (const s of [...overTls, ...plain]) assert.ok(got.get(s.msgId as string)?.[0], `message ${String(s.msgId)} received over TLS`);
  assert.equal(await settledLag(gw, group, topic), 0);
});

test('--grpc-tls-mode enforcing with a given certificate: the 5.x Java client with SSL on sends and receives; one without is refused', { timeout: 60_000 }, async (t) => {
  const tls = selfSignedCertificate();
  const gw = await startGateway({ grpc: true, args: ['--default-queues', String(QUEUES), '--grpc-tls-mode', 'enforcing', '--grpc-tls-cert', tls.cert, '--grpc-tls-key', tls.key] });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
    rmSync(tls.dir, { recursive: true, force: true });
  });
  assert.equal(gw.logs.find((l) => l.msg === 'grpc listening')?.tls, 'enforcing');
  assert.ok(!gw.logs.some((l) => /self-signed certificate made at start/.test(String(l.msg))), 'the given certificate is used');
  const endpoints = gw.grpcAddress!;
  const topic = 'Java5Tls';
  const group = 'Java5TlsGroup';
  const sent = (await Java5Harness.run('produce', { endpoints, topic, count: 4, tls: true })).filter((e) => e.event === 'sent');
  assert.equal(sent.length, 4);
  const got = byId(received5(await Java5Harness.run('simple-consume', { endpoints, topic, group, expect: 4, tls: true, 'timeout-ms': 30_000 })));
  for (const s of sent) {
    const m = got.get(s.msgId as string)?.[0];
    assert.ok(m, `message ${String(s.i)} received over TLS`);
    assertProduced5(m, s.i as number);
  }
  assert.equal(await settledLag(gw, group, topic), 0);

  const plaintext = Java5Harness.start('produce', { endpoints, topic, count: 1 });
  await assert.rejects(plaintext.finish(30_000), /exited with 1/, 'a plaintext client does not get through');
  assert.equal(plaintext.of('sent').length, 0);
  assert.ok(gw.logs.some((l) => /a plaintext client on a TLS-only gRPC port/.test(String(l.msg))), 'and the gateway says why');
});

test('--grpc-tls-mode disabled: a TLS handshake on the gRPC port is closed, with one line', { timeout: 30_000 }, async (t) => {
  const gw = await startGateway({ grpc: true, args: ['--grpc-tls-mode', 'disabled'] });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });
  const [host, port] = gw.grpcAddress!.split(':');
  await assert.rejects(new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port: Number(port), rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => resolve(socket));
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed')));
  }));
  const deadline = Date.now() + 5000;
  while (!gw.logs.some((l) => /a TLS handshake on a plaintext gRPC port/.test(String(l.msg))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(gw.logs.some((l) => /a TLS handshake on a plaintext gRPC port/.test(String(l.msg))));
});
