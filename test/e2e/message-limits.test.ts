import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { credentials, makeClientConstructor, Metadata, type Client, type ClientReadableStream } from '@grpc/grpc-js';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { ask, brokerAddressesOf, maxOffsetAcross } from '../support/cluster.js';
import type { RemotingCommand } from '../../src/remoting/remoting-command.js';
import { clientLog, Producer } from '../support/rocketmq5.js';
import { parseMetrics, sum } from '../support/prometheus.js';
import { batchBody } from '../support/processor-harness.js';
import { loadMessagingService } from '../../src/grpc/proto.js';
import { ENVELOPE_HEADROOM_BYTES } from '../../src/grpc/grpc-server.js';
import { decodeStoredMessages, parseOffsetMsgId } from '../../src/protocol/message-codec.js';
import { formatProperties } from '../../src/protocol/message-properties.js';
import { ResponseCode } from '../../src/protocol/request-code.js';

// What one message may carry, at the door of each protocol: a key of 70,000 bytes and 40,000 bytes of properties
// are refused with the code each protocol's clients know, nothing of them stored, and key and id queries go on
// finding the other messages; over gRPC a body of the default limit (4 MiB) is taken and one byte more refused.
const LIMIT = 4 * 1024 * 1024;
const HUGE_KEY = 'k'.repeat(70_000);
const BIG_VALUE = 'v'.repeat(40_000);
let gw: GatewayProcess;
let probe: RemotingProbe;

before(async () => {
  gw = await startGateway({ grpc: true, http: true, args: ['--default-queues', '1'] });
  probe = await RemotingProbe.connect(gw.address);
});

after(async () => {
  probe.close();
  await gw.stop();
  gw.cleanup();
});

const send = (topic: string, properties: Record<string, string>, body: string) => probe.invoke(310, {
  a: 'LimitsPG', b: topic, c: 'TBW102', d: '1', e: '0', f: '0', g: String(Date.now()), h: '0', i: formatProperties(new Map(Object.entries(properties))), j: '0', k: 'false', m: 'false',
}, Buffer.from(body));

const queryByKey = (topic: string, key: string) =>
  probe.invoke(12, { topic, key, maxNum: '32', beginTimestamp: '0', endTimestamp: String(Number.MAX_SAFE_INTEGER) });

type Call = (request: unknown) => Promise<Record<string, unknown>>;

function rawGrpc(): { call: (method: string) => Call; client: Client } {
  const Ctor = makeClientConstructor(loadMessagingService(), 'MessagingService');
  const client = new Ctor(gw.grpcAddress!, credentials.createInsecure()) as Client & Record<string, (r: unknown, m: Metadata, cb: (err: Error | null, res: Record<string, unknown>) => void) => void>;
  return {
    client,
    call: (method) => (request) => new Promise((resolve, reject) => {
      const metadata = new Metadata();
      metadata.set('x-mq-client-id', 'limits-test');
      client[method]!.call(client, request, metadata, (err, res) => (err ? reject(err) : resolve(res)));
    }),
  };
}

const v5Message = (topic: string, body: Buffer, keys: string[] = [], userProperties: Record<string, string> = {}) => ({
  topic: { name: topic }, userProperties, body,
  systemProperties: { keys, messageId: `01LIMITS${Math.random().toString(16).slice(2, 14).toUpperCase()}`, bodyEncoding: 'IDENTITY', messageType: 'NORMAL', bornTimestamp: { seconds: Math.floor(Date.now() / 1000), nanos: 0 } },
});
const statusOf = (r: Record<string, unknown>) => r.status as { code: string; message: string };

test('remoting: a 70,000-byte key and 40,000 bytes of properties are MESSAGE_ILLEGAL, alone or in a batch; key and id queries still find the rest', { timeout: 30_000 }, async () => {
  const kept = await send('LimitsRemoting', { KEYS: 'kept-key' }, 'kept');
  assert.equal(kept.code, ResponseCode.SUCCESS, kept.remark);
  for (const [what, properties] of [['a 70,000-byte key', { KEYS: `small ${HUGE_KEY}` }], ['40,000 bytes of properties', { big: BIG_VALUE }]] as const) {
    const refused = await send('LimitsRemoting', properties, 'refused');
    assert.equal(refused.code, ResponseCode.MESSAGE_ILLEGAL, `${what}: ${refused.code} ${refused.remark ?? ''}`);
    assert.match(refused.remark ?? '', /over RocketMQ's limit of 32767/, what);
  }
  // A batch message's properties have a 16-bit length on the wire: a key that fits it leaves no room for what the
  // broker adds (CLUSTER), and the whole batch is refused.
  const batch = await probe.invoke(320, { producerGroup: 'LimitsPG', topic: 'LimitsRemoting', defaultTopic: 'TBW102', defaultTopicQueueNums: '1', queueId: '0', sysFlag: '0', bornTimestamp: String(Date.now()), flag: '0', batch: 'true' },
    batchBody([{ body: 'fine' }, { body: 'not fine', properties: { KEYS: 'k'.repeat(32_760) } }]));
  assert.equal(batch.code, ResponseCode.MESSAGE_ILLEGAL, batch.remark);
  assert.match(batch.remark ?? '', /over RocketMQ's limit of 32767/);
  assert.equal(await probe.maxOffset('LimitsRemoting', 0), 1, 'nothing of the refused messages is stored');
  const byKey = await queryByKey('LimitsRemoting', 'kept-key');
  assert.equal(byKey.code, ResponseCode.SUCCESS, byKey.remark);
  assert.deepEqual(decodeStoredMessages(byKey.body!).map((m) => m.body.toString()), ['kept']);
  const byId = await probe.invoke(33, { offset: parseOffsetMsgId(kept.extFields.msgId!)!.locator.toString() });
  assert.equal(byId.code, ResponseCode.SUCCESS, byId.remark);
  assert.deepEqual(decodeStoredMessages(byId.body!).map((m) => m.body.toString()), ['kept']);
});

test('gRPC: a 70,000-byte key and 40,000 bytes of user properties are MESSAGE_PROPERTIES_TOO_LARGE, a key with a control character ILLEGAL_MESSAGE_KEY, a bad group name ILLEGAL_CONSUMER_GROUP', { timeout: 30_000 }, async () => {
  const raw = rawGrpc();
  try {
    const sendMessage = raw.call('SendMessage');
    const kept = await sendMessage({ messages: [v5Message('LimitsGrpc', Buffer.from('kept over gRPC'), ['grpc-kept'])] });
    assert.equal(statusOf(kept).code, 'OK', statusOf(kept).message);
    const refusals = [
      [v5Message('LimitsGrpc', Buffer.from('x'), ['small', HUGE_KEY]), 'MESSAGE_PROPERTIES_TOO_LARGE', /over the limit of 16384/],
      [v5Message('LimitsGrpc', Buffer.from('x'), [], { big: BIG_VALUE }), 'MESSAGE_PROPERTIES_TOO_LARGE', /over the limit of 16384/],
      [v5Message('LimitsGrpc', Buffer.from('x'), ['bell\u0007']), 'ILLEGAL_MESSAGE_KEY', /control character/],
    ] as const;
    for (const [message, code, why] of refusals) {
      const status = statusOf(await sendMessage({ messages: [message] }));
      assert.equal(status.code, code, status.message);
      assert.match(status.message, why);
    }
    assert.equal(await probe.maxOffset('LimitsGrpc', 0), 1, 'nothing of the refused messages is stored');
    // A consumer group Apache's proxy refuses by name (Validators.checkGroup) is refused before any pop.
    const receive = (group: string) => new Promise<Record<string, unknown>>((resolve, reject) => {
      const metadata = new Metadata();
      metadata.set('x-mq-client-id', 'limits-test');
      const stream = (raw.client as unknown as Record<string, (r: unknown, m: Metadata) => ClientReadableStream<Record<string, unknown>>>).ReceiveMessage!.call(raw.client, {
        group: { name: group }, messageQueue: { topic: { name: 'LimitsGrpc' }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 1,
        invisibleDuration: { seconds: 10 }, autoRenew: false, longPollingTimeout: { seconds: 0, nanos: 0 },
      }, metadata);
      stream.once('data', (first) => {
        resolve(first);
        stream.cancel();
      });
      stream.once('error', reject);
    });
    for (const group of ['bad group', 'g'.repeat(121)]) assert.equal(statusOf(await receive(group)).code, 'ILLEGAL_CONSUMER_GROUP', group);
    const byKey = await queryByKey('LimitsGrpc', 'grpc-kept');
    assert.equal(byKey.code, ResponseCode.SUCCESS, byKey.remark);
    assert.deepEqual(decodeStoredMessages(byKey.body!).map((m) => m.body.toString()), ['kept over gRPC']);
  } finally {
    raw.client.close();
  }
});

test('gRPC: a 4 MiB body is stored; 4 MiB + 1 byte is MESSAGE_BODY_TOO_LARGE naming the limit and counted; past the envelope, RESOURCE_EXHAUSTED', { timeout: 60_000 }, async () => {
  const producer = new Producer({ endpoints: gw.grpcAddress!, namespace: '', topics: ['LimitsBig'], requestTimeout: 20_000, logger: clientLog() });
  await producer.startup();
  try {
    const body = Buffer.alloc(LIMIT, 'b');
    body.write('head', 0);
    await producer.send({ topic: 'LimitsBig', body });
  } finally {
    await producer.shutdown();
  }
  // The producer picked one of the route's queues: with --workers, queue 0 of one of the brokers.
  let pulled: RemotingCommand | undefined;
  for (const address of await brokerAddressesOf(gw.address, 'LimitsBig')) {
    const pull = await ask(address, 11, { consumerGroup: 'LimitsCG', topic: 'LimitsBig', queueId: '0', queueOffset: '0', maxMsgNums: '1', sysFlag: '4', commitOffset: '0', suspendTimeoutMillis: '0', subscription: '*', subVersion: '0' });
    if (!pulled || pull.code === ResponseCode.SUCCESS) pulled = pull;
  }
  assert.ok(pulled);
  assert.equal(pulled.code, ResponseCode.SUCCESS, pulled.remark);
  const [stored] = decodeStoredMessages(pulled.body!);
  assert.deepEqual([stored!.body.length, stored!.body.subarray(0, 4).toString()], [LIMIT, 'head']);

  const raw = rawGrpc();
  try {
    const over = statusOf(await raw.call('SendMessage')({ messages: [v5Message('LimitsBig', Buffer.alloc(LIMIT + 1))] }));
    assert.equal(over.code, 'MESSAGE_BODY_TOO_LARGE');
    assert.match(over.message, new RegExp(`${LIMIT + 1} bytes is over the limit of ${LIMIT} bytes`));
    await assert.rejects(raw.call('SendMessage')({ messages: [v5Message('LimitsBig', Buffer.alloc(LIMIT + ENVELOPE_HEADROOM_BYTES + 1))] }), (err: { code?: number }) => err.code === 8);
    assert.equal(statusOf(await raw.call('QueryRoute')({ topic: { name: 'LimitsBig' } })).code, 'OK', 'the gateway serves on');
  } finally {
    raw.client.close();
  }
  assert.equal(await maxOffsetAcross(gw.address, 'LimitsBig', 0), 1, 'only the message within the limit');
  const samples = parseMetrics(await (await fetch(`${gw.httpUrl}/metrics`)).text());
  assert.equal(sum(samples, 'rocketmq_rpc_latency_count', { protocol_type: 'grpc', request_code: 'SendMessage', response_code: 'MESSAGE_BODY_TOO_LARGE' }), 1);
});
