import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, credentials, Metadata, type ServiceDefinition } from '@grpc/grpc-js';
import { startGateway, testStore, type GatewayProcess } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { FUZZ_TOPIC, fuzzFrame, mulberry32, RawRemoting, Rng } from '../support/remoting-fuzz.js';
import { loadMessagingService } from '../../src/grpc/proto.js';
import { decodeStoredMessages } from '../../src/protocol/message-codec.js';
import { formatProperties } from '../../src/protocol/message-properties.js';
import type { RemotingCommand } from '../../src/remoting/remoting-command.js';

// Thousands of mutated frames of the requests clients send most, from a fixed seed, over several connections at
// once: fields out of range or of the wrong type, strange text, bodies cut or overlong, lengths that lie, headers
// that do not parse. The gateway must answer each as a refusal or close the connection, never fail inside, and
// serve normally afterwards. The frames are about the remoting door, not the store: on Pulsar, each random topic
// they name would be a Pulsar topic made through its admin API, minutes of it, so the suite runs on embedded only.
const SEED = 0x5eed_0018;
const CONNECTIONS = 6;
const FRAMES = 4000;
const ERROR = 50;
const skip = testStore === 'pulsar' ? 'store-independent, and each random topic would be a Pulsar topic made by its admin API' : false;

let gw: GatewayProcess;

before(async () => {
  if (skip) return;
  gw = await startGateway({ grpc: true, args: ['--max-message-size', '65536', '--max-frame-size', '1048576', '--max-topics', '64', '--default-queues', '4'] });
  const probe = await RemotingProbe.connect(gw.address);
  await probe.invoke(17, { topic: FUZZ_TOPIC, readQueueNums: '4', writeQueueNums: '4', perm: '6' });
  probe.close();
});

after(async () => {
  if (skip) return;
  await gw.stop();
  gw.cleanup();
});

/** An answer that reads as the gateway failing inside rather than refusing the request. */
const internal = (a: RemotingCommand): boolean => a.code === 1 && /^request code \d+ failed: |TypeError|RangeError|SyntaxError|Cannot read|is not a function|ERR_/.test(a.remark ?? '');

test('fuzzed remoting frames are each refused or answered, none fails inside the gateway', { skip, timeout: 120_000 }, async () => {
  const answers: RemotingCommand[] = [];
  const undecodable: string[] = [];
  let sent = 0;
  let connections = 0;
  const started = Date.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, async (_, worker) => {
    const r = new Rng(mulberry32(SEED + worker));
    while (sent < FRAMES) {
      const conn = await RawRemoting.open(gw.port);
      connections++;
      for (let n = 1 + r.int(40); n > 0 && sent < FRAMES && !conn.isClosed; n--) {
        const frame = fuzzFrame(r);
        sent++;
        await conn.send(frame, 5000);
        if (frame.broken) break;
      }
      await conn.end(3000);
      answers.push(...conn.answers.values());
      undecodable.push(...conn.undecodable);
    }
  }));
  const byCode = new Map<number, number>();
  for (const a of answers) byCode.set(a.code, (byCode.get(a.code) ?? 0) + 1);
  const summary = JSON.stringify(Object.fromEntries(byCode));
  console.log(`${sent} frames over ${connections} connections in ${Date.now() - started} ms; answers by code ${summary}`);
  assert.deepEqual(undecodable, [], 'every answer is a frame a client can decode');
  assert.deepEqual(answers.filter(internal).map((a) => a.remark), [], 'no answer reads as an internal failure');
  // The fuzz reached the processors: requests got through as sent, and were refused for their fields and bodies.
  for (const [code, name] of [[0, 'SUCCESS'], [13, 'MESSAGE_ILLEGAL'], [29, 'INVALID_PARAMETER']] as const) {
    assert.ok((byCode.get(code) ?? 0) >= 20, `at least 20 answers ${name}: ${summary}`);
  }
  assert.ok(answers.length >= FRAMES / 3, `${answers.length} answers to ${FRAMES} frames`);
});

type Unary = (bytes: Buffer) => Promise<{ status?: string; grpcError?: number; details?: string }>;

/** A gRPC client that sends raw request bytes and reads the response's RocketMQ status. */
function rawGrpc(address: string, service: ServiceDefinition): { call: (method: string) => Unary; close(): void } {
  const client = new Client(address, credentials.createInsecure());
  const metadata = () => {
    const m = new Metadata();
    m.set('x-mq-client-id', 'fuzz-client');
    return m;
  };
  const statusOf = (response: unknown) => (response as { status?: { code?: string } } | undefined)?.status?.code;
  return {
    call: (method) => (bytes) => new Promise((resolve) => {
      const def = service[method]!;
      const options = { deadline: Date.now() + 3000 };
      if (def.responseStream) {
        const stream = client.makeServerStreamRequest(def.path, (b: Buffer) => b, def.responseDeserialize, bytes, metadata(), options);
        stream.once('data', (first) => {
          resolve({ status: statusOf(first) });
          stream.cancel();
        });
        stream.once('error', (err: { code: number; details: string }) => resolve({ grpcError: err.code, details: err.details }));
        return;
      }
      client.makeUnaryRequest(def.path, (b: Buffer) => b, def.responseDeserialize, bytes, metadata(), options, (err, response) =>
        resolve(err ? { grpcError: (err as { code: number }).code, details: (err as { details: string }).details } : { status: statusOf(response) }));
    }),
    close: () => client.close(),
  };
}

test('fuzzed gRPC SendMessage and ReceiveMessage requests are answered with a status, none an internal error', { skip, timeout: 60_000 }, async () => {
  const service = loadMessagingService();
  const raw = rawGrpc(gw.grpcAddress!, service);
  const r = new Rng(mulberry32(SEED));
  /** A valid message with up to two of its fields made wrong. */
  const message = () => {
    const m = {
      topic: { name: FUZZ_TOPIC }, userProperties: { a: 'b' } as Record<string, string>, body: r.bytes(1 + r.int(100)),
      systemProperties: {
        tag: 'TagA', keys: ['k1'], messageId: `01FUZZ${r.int(1e9)}`, bodyEncoding: 'IDENTITY', messageType: 'NORMAL', messageGroup: undefined as string | undefined,
        deliveryTimestamp: undefined as { seconds: number; nanos: number } | undefined, bornTimestamp: { seconds: Math.floor(Date.now() / 1000), nanos: 0 }, bornHost: 'fuzz',
      },
    };
    const sp = m.systemProperties;
    for (let n = r.int(3); n > 0; n--) {
      switch (r.int(10)) {
        case 0: m.topic.name = r.pick(['', 'SCHEDULE_TOPIC_XXXX', 'T'.repeat(128), r.text(r.int(40))]); break;
        case 1: m.userProperties = Object.fromEntries(Array.from({ length: r.pick([1, 129, 200]) }, (_, i) => [`p${i}`, 'v'])); break;
        case 2: m.userProperties = { [r.pick(['KEYS', 'UNIQ_KEY', '', 'a\u0001', 'ok'])]: r.pick(['v', 'v\u0000', 'x'.repeat(40_000)]) }; break;
        case 3: sp.tag = r.pick(['', 'a|b', ' ', r.text(10)]); break;
        case 4: sp.keys = [r.pick(['', ' ', 'k\u0007', 'k'.repeat(70_000), r.text(10)])]; break;
        case 5: sp.messageId = r.pick(['', r.text(40)]); break;
        case 6: sp.messageGroup = r.pick([' ', 'x'.repeat(64), 'g', r.text(8)]); break;
        case 7: sp.deliveryTimestamp = { seconds: r.pick([-1, 0, 2 ** 40]), nanos: r.pick([0, -5, 2e9]) }; break;
        case 8: m.body = r.pick([Buffer.alloc(0), Buffer.alloc(65_537), Buffer.alloc(65_536)]); break;
        default: sp.messageType = r.pick(['FIFO', 'DELAY', 'TRANSACTION', 'MESSAGE_TYPE_UNSPECIFIED']);
      }
    }
    return m;
  };
  const receive = () => ({
    group: { name: r.pick(['FuzzGroup', '', r.text(20)]) }, messageQueue: { topic: { name: r.pick([FUZZ_TOPIC, '', r.text(10)]) }, id: r.int(5) - 1 },
    filterExpression: { type: r.pick(['TAG', 'SQL', 'FILTER_TYPE_UNSPECIFIED']), expression: r.pick(['*', 'a > ', r.text(20)]) },
    batchSize: r.pick([0, 1, 32, -1, 2 ** 31 - 1]), invisibleDuration: { seconds: r.pick([0, 5, -1, 2 ** 40]), nanos: r.pick([0, -1]) }, autoRenew: r.chance(0.5),
    longPollingTimeout: { seconds: 0, nanos: r.pick([0, 100_000_000]) },
  });
  const counts = new Map<string, number>();
  for (let i = 0; i < 600; i++) {
    const method = r.pick(['SendMessage', 'SendMessage', 'ReceiveMessage', 'QueryRoute', 'AckMessage', 'ChangeInvisibleDuration']);
    const request = method === 'SendMessage' ? { messages: r.chance(0.1) ? [] : [message()] }
      : method === 'ReceiveMessage' ? receive()
      : method === 'QueryRoute' ? { topic: { name: r.text(r.int(30)) } }
      : { group: { name: 'FuzzGroup' }, topic: { name: FUZZ_TOPIC }, receiptHandle: r.text(r.int(80)), messageId: r.text(10), invisibleDuration: { seconds: r.int(100) }, entries: [{ messageId: 'x', receiptHandle: r.text(30) }] };
    let bytes = service[method]!.requestSerialize(request) as Buffer;
    if (r.chance(0.3)) {
      bytes = Buffer.from(bytes);
      for (let n = 1 + r.int(6); n > 0 && bytes.length > 0; n--) bytes[r.int(bytes.length)] = r.int(256);
      if (r.chance(0.3)) bytes = bytes.subarray(0, r.int(bytes.length + 1));
    }
    const answer = await raw.call(method)(bytes);
    const key = answer.status ?? `grpc-${answer.grpcError}: ${answer.details?.replace(/\d+/g, 'N').slice(0, 60)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  raw.close();
  const summary = JSON.stringify(Object.fromEntries(counts));
  console.log(`gRPC answers: ${summary}`);
  assert.equal(counts.get('INTERNAL_SERVER_ERROR') ?? 0, 0, summary);
  for (const code of ['OK', 'MESSAGE_BODY_TOO_LARGE', 'MESSAGE_PROPERTIES_TOO_LARGE', 'ILLEGAL_TOPIC']) assert.ok((counts.get(code) ?? 0) > 0, `some ${code}: ${summary}`);
});

test('after the fuzz the gateway is up, sends and pulls as before, and logged no error and no stack trace', { skip, timeout: 30_000 }, async () => {
  assert.equal(gw.child.exitCode, null);
  const probe = await RemotingProbe.connect(gw.address);
  try {
    const sent = await probe.invoke(310, {
      a: 'AfterPG', b: 'AfterFuzz', c: 'TBW102', d: '1', e: '0', f: '0', g: String(Date.now()), h: '0', i: formatProperties(new Map([['KEYS', 'after']])), j: '0', k: 'false', m: 'false',
    }, Buffer.from('still here'));
    assert.equal(sent.code, 0, sent.remark);
    const pulled = await probe.invoke(11, { consumerGroup: 'AfterCG', topic: 'AfterFuzz', queueId: '0', queueOffset: '0', maxMsgNums: '8', sysFlag: '4', commitOffset: '0', suspendTimeoutMillis: '0', subscription: '*', subVersion: '0' });
    assert.equal(pulled.code, 0, pulled.remark);
    assert.deepEqual(decodeStoredMessages(pulled.body!).map((m) => m.body.toString()), ['still here']);
  } finally {
    probe.close();
  }
  const bad = gw.logs.filter((l) => Number(l.level) >= ERROR || l.msg === 'request failed' || /\n\s+at /.test(JSON.stringify(l)) || JSON.stringify(l).includes('"stack"'));
  assert.deepEqual(bad, []);
});
