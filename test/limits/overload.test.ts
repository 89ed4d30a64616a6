import { test } from 'node:test';
import { inflateSync } from 'node:zlib';
import assert from 'node:assert/strict';
import { credentials, makeClientConstructor, Metadata, type Client } from '@grpc/grpc-js';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { JavaHarness, expectedMessage } from '../support/java-harness.js';
import { parseMetrics, sum } from '../support/prometheus.js';
import { connectRemoting } from '../../src/remoting/remoting-client.js';
import { createRequest, type RemotingCommand } from '../../src/remoting/remoting-command.js';
import type { RemotingConnection } from '../../src/remoting/remoting-connection.js';
import { loadMessagingService } from '../../src/grpc/proto.js';
import { decodeStoredMessages, SysFlag } from '../../src/protocol/message-codec.js';

// Sends faster than the gateway can take them: many connections pipelining 256 KiB sends with every append fsynced,
// remoting and gRPC at once, beside a Java 4.x producer. With a bound of 20 ms, whatever would wait longer is
// answered busy at once (SYSTEM_BUSY / TOO_MANY_REQUESTS, with Apache's remark), counted in /metrics, and every
// send acknowledged is stored, nothing refused is.
const BOUND_MS = 20;
const QUEUES = 4;
const BODY = 256 * 1024;
const CONNECTIONS = 32;
const PIPELINED = 8;
const GRPC_CALLS = 16;
const MAX_FLOOD_MS = 6_000;
const BUSY_REMARK = /^\[(TIMEOUT|PCBUSY)_CLEAN_QUEUE\]broker busy, start flow control for a while, period in queue: \d+ms, size of queue: \d+$/;

/** A body that says which send it was: the first bytes are its number. */
const markedBody = (n: number): Buffer => {
  const b = Buffer.alloc(BODY, 'f');
  b.write(`send-${n};`);
  return b;
};
const markOf = (body: Buffer): string => body.toString('latin1', 0, 24).split(';')[0]!;

async function pullAll(conn: RemotingConnection, topic: string, queueId: number): Promise<Array<{ offset: number; body: Buffer }>> {
  const out: Array<{ offset: number; body: Buffer }> = [];
  for (let offset = 0; ;) {
    const r = await conn.invoke(createRequest(11, {
      consumerGroup: 'OverloadCheck', topic, queueId: String(queueId), queueOffset: String(offset), maxMsgNums: '32', sysFlag: '4', commitOffset: '0', suspendTimeoutMillis: '0', subscription: '*', subVersion: '0',
    }), 30_000);
    // The gateway may still be digesting the flood: a pull it answers busy is tried again.
    if (r.code === 2) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    if (r.code !== 0) return out;
    // The Java client compresses bodies over 4 KiB, as the sysFlag says.
    for (const m of decodeStoredMessages(r.body!)) out.push({ offset: m.queueOffset, body: m.sysFlag & SysFlag.COMPRESSED ? inflateSync(m.body) : m.body });
    offset = Number(r.extFields.nextBeginOffset);
  }
}

function grpcSender(gw: GatewayProcess): { send(body: Buffer, id: string): Promise<string>; client: Client } {
  const Ctor = makeClientConstructor(loadMessagingService(), 'MessagingService');
  const client = new Ctor(gw.grpcAddress!, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 }) as unknown as Client & { SendMessage: (r: unknown, m: Metadata, o: { deadline: number }, cb: (err: Error | null, res: { status: { code: string; message: string } }) => void) => void };
  const metadata = new Metadata();
  metadata.set('x-mq-client-id', 'overload-test');
  return {
    client,
    send: (body, id) => new Promise((resolve) => client.SendMessage({
      messages: [{ topic: { name: 'OverloadGrpc' }, body, systemProperties: { messageId: id, bodyEncoding: 'IDENTITY', messageType: 'NORMAL' } }],
    }, metadata, { deadline: Date.now() + 30_000 }, (err, res) => resolve(err ? `grpc-error ${err.message}` : res.status.code))),
  };
}

test('a flood of fsynced sends is answered busy where it would wait past the bound, and everything acknowledged is stored', { timeout: 180_000 }, async () => {
  const gw = await startGateway({ grpc: true, http: true, args: ['--flush', 'sync', '--max-send-wait-ms', String(BOUND_MS), '--default-queues', String(QUEUES)] });
  try {
    // The Java producer first: its sends are to meet the flood, not to finish before it.
    const java = JavaHarness.start('produce', { namesrv: gw.address, topic: 'OverloadJava', count: 200, mode: 'sync', 'body-size': 65_536, retries: 4, 'retry-busy': 'true' });
    await java.waitFor((events) => events.some((e) => e.event === 'sent'), 60_000, 'the Java producer\'s first send');

    const acked = new Map<string, string>();
    const refusals: string[] = [];
    const other: string[] = [];
    let n = 0;
    const floodEnds = Date.now() + MAX_FLOOD_MS;
    const flooding = () => java.running && Date.now() < floodEnds;
    const conns = await Promise.all(Array.from({ length: CONNECTIONS }, () => connectRemoting(gw.address)));
    const remoting = conns.flatMap((conn, c) => Array.from({ length: PIPELINED }, async () => {
      while (flooding()) {
        const id = n++;
        const queueId = c % QUEUES;
        const r: RemotingCommand = await conn.invoke(createRequest(310, {
          a: 'OverloadPG', b: 'OverloadFlood', c: 'TBW102', d: String(QUEUES), e: String(queueId), f: '0', g: String(Date.now()), h: '0', i: '', j: '0', k: 'false', m: 'false',
        }, markedBody(id)), 60_000);
        if (r.code === 0) acked.set(`${queueId}/${r.extFields.queueOffset}`, `send-${id}`);
        else if (r.code === 2) refusals.push(r.remark ?? '');
        else other.push(`${r.code} ${r.remark ?? ''}`);
      }
    }));
    const grpc = grpcSender(gw);
    const grpcAnswers = new Map<string, number>();
    const overGrpc = Array.from({ length: GRPC_CALLS }, async (_, k) => {
      for (let i = 0; flooding(); i++) {
        const code = await grpc.send(Buffer.alloc(4096, 'g'), `01OVERLOAD${k}X${i}`);
        grpcAnswers.set(code, (grpcAnswers.get(code) ?? 0) + 1);
      }
    });
    await Promise.all([...remoting, ...overGrpc, java.exited]);
    grpc.client.close();

    const grpcSummary = JSON.stringify(Object.fromEntries(grpcAnswers));
    console.log(`remoting: ${n} sends, ${acked.size} stored, ${refusals.length} busy; gRPC: ${grpcSummary}; Java: ${java.of('sent').length} sent, ${java.of('error').length} errors`);
    assert.deepEqual(other, [], 'every send answered SUCCESS or SYSTEM_BUSY');
    assert.ok(refusals.length > 0, `some sends were answered busy (${n} sent)`);
    assert.ok(acked.size > 0, 'some sends were stored');
    for (const remark of refusals) assert.match(remark, BUSY_REMARK);
    assert.ok((grpcAnswers.get('TOO_MANY_REQUESTS') ?? 0) > 0, `some gRPC sends were answered TOO_MANY_REQUESTS: ${grpcSummary}`);
    assert.deepEqual([...grpcAnswers.keys()].filter((c) => c !== 'OK' && c !== 'TOO_MANY_REQUESTS'), [], grpcSummary);

    // Apache's 4.9 Java producer retries SYSTEM_BUSY only when told (addRetryResponseCode; its 5.3+ clients do by
    // default): what still fails after its retries reports the broker's answer, which a caller backs off on.
    const javaErrors = java.of('error');
    for (const e of javaErrors) assert.match(`${String(e.message)} ${String(e.cause)}`, /CODE: 2 {2}DESC: \[(TIMEOUT|PCBUSY)_CLEAN_QUEUE\]broker busy|Send \[5\] times, still failed/);
    assert.equal(java.of('sent').length + javaErrors.length, 200, 'every Java send ended acknowledged or refused');

    const samples = parseMetrics(await (await fetch(`${gw.httpUrl}/metrics`)).text());
    const busyToJava = sum(samples, 'rop_requests_refused_busy_total', { protocol: 'remoting' }) - refusals.length;
    console.log(`the Java producer was answered busy ${busyToJava} times and gave up on ${javaErrors.length} sends`);
    assert.ok(busyToJava >= javaErrors.length, 'every busy answer counted');
    if (busyToJava > 0) assert.ok(busyToJava > javaErrors.length, 'the Java producer retried busy answers rather than failing each');
    assert.equal(sum(samples, 'rop_requests_refused_busy_total', { protocol: 'grpc' }), grpcAnswers.get('TOO_MANY_REQUESTS'));
    // Refused at once: busy answers left the gateway within the bound of the request's decoding, but for the odd one
    // a garbage collection of the flood's buffers held up.
    const busyLatency = { protocol_type: 'remoting', request_code: 'SEND_MESSAGE_V2', response_code: '2' };
    const busyAnswered = sum(samples, 'rocketmq_rpc_latency_count', busyLatency);
    assert.ok(sum(samples, 'rocketmq_rpc_latency_bucket', { ...busyLatency, le: '25' }) >= 0.99 * busyAnswered, 'busy answers within 25 ms');
    assert.equal(sum(samples, 'rocketmq_rpc_latency_bucket', { ...busyLatency, le: '250' }), busyAnswered, 'every busy answer within 250 ms');

    // Everything acknowledged is stored, and nothing else.
    const probe = await connectRemoting(gw.address);
    try {
      const stored = new Map<string, string>();
      for (let q = 0; q < QUEUES; q++) for (const m of await pullAll(probe, 'OverloadFlood', q)) stored.set(`${q}/${m.offset}`, markOf(m.body));
      assert.deepEqual(stored, acked);
      let grpcStored = 0;
      for (let q = 0; q < QUEUES; q++) grpcStored += (await pullAll(probe, 'OverloadGrpc', q)).length;
      assert.equal(grpcStored, grpcAnswers.get('OK') ?? 0);
      const javaStored = new Map<string, Buffer>();
      for (let q = 0; q < QUEUES; q++) for (const m of await pullAll(probe, 'OverloadJava', q)) javaStored.set(`${q}/${m.offset}`, m.body);
      assert.equal(javaStored.size, java.of('sent').length);
      for (const e of java.of('sent')) assert.deepEqual(javaStored.get(`${e.queueId}/${e.queueOffset}`), expectedMessage(Number(e.i), [], 65_536).body);
    } finally {
      probe.destroy();
      for (const c of conns) c.destroy();
    }
    assert.equal(gw.logs.filter((l) => Number(l.level) >= 50).length, 0, 'nothing logged as an error');
  } finally {
    await gw.stop();
    gw.cleanup();
  }
});
