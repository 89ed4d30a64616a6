import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { createTopic, rocketmq, sleep, type Side } from '../support/differential.js';
import { repoRoot, startGateway, type GatewayProcess } from '../support/gateway.js';
import { rawGrpcClient, statusOf, statusText, type RawGrpcClient } from '../support/grpc-raw-client.js';
import { RemotingProbe } from '../support/remoting-probe.js';

// The edges of the RocketMQ 5 gRPC protocol, sent as the same raw requests to Apache RocketMQ 5.5.0's proxy (cluster
// mode, in front of its own name server and broker, scripts/rocketmq.mjs) and to a gateway that creates no topics
// on its own, as Apache's proxy does not: each must answer with the same status code. Every answer, code and
// message, is printed as a diagnostic line, so a run shows where the two differ and how.
//
// Apache runs on ports of its own (not the 4.9 suites' 19876/10911) from its own home, and is stopped afterwards.
const APACHE_PORTS = { namesrv: 27876, broker: 27911, proxyGrpc: 27081 };
const APACHE_ENV = {
  ROCKETMQ_VERSION: '5.5.0',
  ROCKETMQ_HOME_DIR: join(repoRoot, '.cache', 'rocketmq-5'),
  ROCKETMQ_PROFILE: 'test',
  ROCKETMQ_NAMESRV_PORT: String(APACHE_PORTS.namesrv),
  ROCKETMQ_BROKER_PORT: String(APACHE_PORTS.broker),
  ROCKETMQ_PROXY_GRPC_PORT: String(APACHE_PORTS.proxyGrpc),
  ROCKETMQ_BROKER_CONF_EXTRA: '',
};

const SEND_TOPIC = 'EdgeSendTopic';
const BATCH_TOPIC = 'EdgeBatchTopic';
const ACK_TOPIC = 'EdgeAckTopic';
const GROUP = 'EdgeGroup';
const CONSUMER_ID = 'edge-simple-consumer';
const MiB = 1024 * 1024;
const MESSAGES_IN_BATCH_TOPIC = 40;

type Response = Record<string, unknown>;

/** One side of the comparison: its remoting broker (topics and groups are declared there) and its gRPC endpoint. */
interface GrpcSide extends Side {
  name: string;
  grpc: string;
  raw: RawGrpcClient;
  closeSession?: () => void;
}

let gw: GatewayProcess | undefined;
const sides: GrpcSide[] = [];

/** A side's raw client, with no client-side message size limit: the servers' own limits are what is compared. */
const clientOf = (grpc: string): RawGrpcClient =>
  rawGrpcClient(grpc, { clientId: 'edge-raw-client', channelOptions: { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 } });

/** The settings of a SimpleConsumer of GROUP, as the Node client sends them first on its telemetry stream. */
const consumerSettings = (grpc: string) => ({
  clientType: 'SIMPLE_CONSUMER',
  accessPoint: { scheme: 'IPv4', addresses: [{ host: grpc.split(':')[0], port: Number(grpc.split(':')[1]) }] },
  requestTimeout: { seconds: 3, nanos: 0 },
  // Apache's proxy filters what a pop found by the settings' delivery attempts (0 would send all to the dead letters).
  backoffPolicy: { maxAttempts: 16, exponentialBackoff: { initial: { seconds: 1 }, max: { seconds: 60 }, multiplier: 2 } },
  subscription: {
    group: { name: GROUP },
    subscriptions: [BATCH_TOPIC, ACK_TOPIC].map((name) => ({ topic: { name }, expression: { type: 'TAG', expression: '*' } })),
    fifo: false,
    longPollingTimeout: { seconds: 5, nanos: 0 },
  },
  userAgent: { language: 'NODE_JS', version: '5.0.0', platform: process.platform, hostname: 'localhost' },
});

before(async () => {
  await rocketmq('stop', APACHE_ENV);
  await rocketmq('start', APACHE_ENV);
  gw = await startGateway({ grpc: true, args: ['--no-auto-create-topics'] });
  const apacheGrpc = `127.0.0.1:${APACHE_PORTS.proxyGrpc}`;
  sides.push(
    { name: 'Apache', namesrv: `127.0.0.1:${APACHE_PORTS.namesrv}`, broker: `127.0.0.1:${APACHE_PORTS.broker}`, grpc: apacheGrpc, raw: clientOf(apacheGrpc) },
    { name: 'gateway', namesrv: gw.address, broker: gw.address, grpc: gw.grpcAddress!, raw: clientOf(gw.grpcAddress!) },
  );
  for (const side of sides) {
    await createTopic(side, SEND_TOPIC);
    await createTopic(side, BATCH_TOPIC, 1);
    await createTopic(side, ACK_TOPIC, 1);
    // Declared, so that Apache's proxy merges the group's retry policy into the consumer's settings, as for a real group.
    await RemotingProbe.declareGroup(side.broker, { groupName: GROUP });
  }
}, { timeout: 180_000 });

after(async () => {
  for (const side of sides) {
    side.closeSession?.();
    side.raw.close();
  }
  await gw?.stop();
  gw?.cleanup();
  await rocketmq('stop', APACHE_ENV);
}, { timeout: 120_000 });

/** A refusal at the gRPC layer (a size limit, a crash) as a pseudo-status, which no RocketMQ status code equals. */
const grpcRefusal = (err: ServiceError): Response => ({ status: { code: `gRPC ${GrpcStatus[err.code] ?? err.code}`, message: err.details ?? err.message } });
const answered = (p: Promise<Response>): Promise<Response> => p.catch(grpcRefusal);

/**
 * Asks both sides the same thing and prints both answers; Apache's must be `expected` (else the case does not test
 * what it says), and the gateway's code must be Apache's.
 */
async function sameAnswer(t: TestContext, what: string, expected: string, ask: (side: GrpcSide) => Promise<Response>): Promise<Response[]> {
  const answers: Response[] = [];
  for (const side of sides) answers.push(await answered(ask(side)));
  const [apache, rop] = answers as [Response, Response];
  t.diagnostic(`${what}: Apache ${statusText(apache)}; gateway ${statusText(rop)}`);
  assert.equal(statusOf(apache), expected, `${what}: Apache's proxy answered ${statusText(apache)}`);
  assert.equal(statusOf(rop), statusOf(apache), `${what}: the gateway answered ${statusText(rop)}, Apache's proxy ${statusText(apache)}`);
  return answers;
}

interface MessageShape {
  topic?: string;
  body?: Buffer;
  tag?: string;
  keys?: string[];
  userProperties?: Record<string, string>;
}

/** A SendMessage request of one normal message, as the Node client builds it. */
function sendRequest({ topic = SEND_TOPIC, body = Buffer.from('edge'), tag = 'edge', keys = [], userProperties = {} }: MessageShape): unknown {
  const now = Date.now();
  return {
    messages: [{
      topic: { name: topic },
      userProperties,
      systemProperties: {
        tag, keys, messageId: `01${randomBytes(15).toString('hex').toUpperCase()}`, bodyEncoding: 'IDENTITY', messageType: 'NORMAL',
        bornTimestamp: { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1e6 }, bornHost: '127.0.0.1',
      },
      body,
    }],
  };
}

const send = (side: GrpcSide, shape: MessageShape): Promise<Response> => side.raw.call('SendMessage', sendRequest(shape));

interface Received {
  /** the response with the status (Apache's proxy sends it first, then one response per message) */
  answer: Response;
  messages: Array<Record<string, unknown>>;
}

/** A whole ReceiveMessage answer of the simple consumer: the status its first response carries, and the messages. */
async function receive(side: GrpcSide, topic: string, batchSize: number, invisibleMs: number): Promise<Received> {
  const responses = await side.raw.allOf('ReceiveMessage', {
    group: { name: GROUP },
    messageQueue: { topic: { name: topic } },
    filterExpression: { type: 'TAG', expression: '*' },
    batchSize,
    invisibleDuration: { seconds: Math.floor(invisibleMs / 1000), nanos: (invisibleMs % 1000) * 1e6 },
    autoRenew: false,
    longPollingTimeout: { seconds: 5, nanos: 0 },
  }, CONSUMER_ID, 20_000).catch((err: ServiceError) => [grpcRefusal(err)]);
  return {
    answer: responses.find((r) => r.status) ?? { status: { code: 'none', message: 'no status in the answer' } },
    messages: responses.flatMap((r) => (r.message ? [r.message as Record<string, unknown>] : [])),
  };
}

/** Opens each side's SimpleConsumer telemetry session (Apache's proxy serves no receive before it). */
async function consumerSessions(t: TestContext): Promise<void> {
  for (const side of sides) {
    if (side.closeSession) continue;
    const { answer, close } = await side.raw.session(consumerSettings(side.grpc), CONSUMER_ID);
    side.closeSession = close;
    t.diagnostic(`${side.name} answered the consumer's settings with ${statusText(answer)}`);
    assert.equal(statusOf(answer), 'OK', `${side.name} takes the consumer's settings`);
  }
}

test('QueryRoute of an unknown topic: TOPIC_NOT_FOUND on both', { timeout: 30_000 }, async (t) => {
  await sameAnswer(t, 'QueryRoute EdgeNoSuchTopic', 'TOPIC_NOT_FOUND', (side) => side.raw.call('QueryRoute', {
    topic: { name: 'EdgeNoSuchTopic' },
    endpoints: { scheme: 'IPv4', addresses: [{ host: '127.0.0.1', port: Number(side.grpc.split(':')[1]) }] },
  }));
  const routes = await sameAnswer(t, `QueryRoute ${SEND_TOPIC} (created)`, 'OK', (side) => side.raw.call('QueryRoute', {
    topic: { name: SEND_TOPIC },
    endpoints: { scheme: 'IPv4', addresses: [{ host: '127.0.0.1', port: Number(side.grpc.split(':')[1]) }] },
  }));
  assert.deepEqual(routes.map((r) => (r.messageQueues as unknown[]).length), [4, 4], 'the created topic\'s four queues on both');
});

const MANY_PROPERTIES = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`p${i}`, 'v']));
/** One message each, and what Apache's proxy answers (its SendMessageActivity and GrpcValidator checks). */
const SEND_CASES: Array<{ what: string; expected: string; shape: MessageShape }> = [
  { what: 'a plain message with a key and a property', expected: 'OK', shape: { keys: ['k1'], userProperties: { a: 'b' } } },
  { what: 'a 4 MiB body', expected: 'OK', shape: { body: Buffer.alloc(4 * MiB, 0x61) } },
  { what: 'a 4 MiB + 1 byte body', expected: 'MESSAGE_BODY_TOO_LARGE', shape: { body: Buffer.alloc(4 * MiB + 1, 0x61) } },
  { what: 'a tag with a control character', expected: 'ILLEGAL_MESSAGE_TAG', shape: { tag: 'bad\u0001tag' } },
  { what: "a tag with '|'", expected: 'ILLEGAL_MESSAGE_TAG', shape: { tag: 'a|b' } },
  { what: 'a tag of whitespace only', expected: 'ILLEGAL_MESSAGE_TAG', shape: { tag: ' ' } },
  { what: 'a key with a control character', expected: 'ILLEGAL_MESSAGE_KEY', shape: { keys: ['bad\u0001key'] } },
  { what: 'user properties of 16 KiB + 3 bytes', expected: 'MESSAGE_PROPERTIES_TOO_LARGE', shape: { tag: '', userProperties: { big: 'x'.repeat(16 * 1024) } } },
  { what: '129 user properties', expected: 'MESSAGE_PROPERTIES_TOO_LARGE', shape: { userProperties: MANY_PROPERTIES } },
  { what: 'a user property named TAGS (a system property)', expected: 'ILLEGAL_MESSAGE_PROPERTY_KEY', shape: { userProperties: { TAGS: 'mine' } } },
  { what: 'a user property value with a control character', expected: 'ILLEGAL_MESSAGE_PROPERTY_KEY', shape: { userProperties: { fine: 'bad\u0001value' } } },
  { what: "the topic 'bad topic!'", expected: 'ILLEGAL_TOPIC', shape: { topic: 'bad topic!' } },
];

for (const { what, expected, shape } of SEND_CASES) {
  test(`SendMessage, ${what}: ${expected} on both`, { timeout: 30_000 }, async (t) => {
    await sameAnswer(t, `SendMessage, ${what}`, expected, (side) => send(side, shape));
  });
}

test('ReceiveMessage: invisible time from 10 s to 12 h, at most 32 messages a receive', { timeout: 90_000 }, async (t) => {
  await consumerSessions(t);
  for (const side of sides) {
    for (let i = 0; i < MESSAGES_IN_BATCH_TOPIC; i++) assert.equal(statusOf(await send(side, { topic: BATCH_TOPIC, body: Buffer.from(`m${i}`) })), 'OK');
  }
  const refusal = async (what: string, invisibleMs: number) => {
    await sameAnswer(t, what, 'ILLEGAL_INVISIBLE_TIME', async (side) => (await receive(side, BATCH_TOPIC, 1, invisibleMs)).answer);
  };
  await refusal('invisibleDuration 5 s', 5_000);
  await refusal('invisibleDuration 12 h + 1 s', 12 * 3600_000 + 1000);
  const batches: Received[] = [];
  await sameAnswer(t, `batchSize 64 on a topic of ${MESSAGES_IN_BATCH_TOPIC} messages`, 'OK', async (side) => {
    const got = await receive(side, BATCH_TOPIC, 64, 30_000);
    batches.push(got);
    return got.answer;
  });
  const [apache, rop] = batches.map((b) => b.messages.length) as [number, number];
  t.diagnostic(`batchSize 64: Apache delivered ${apache} messages; gateway ${rop}`);
  assert.ok(apache > 0 && apache <= 32, `Apache's proxy delivers 1 to 32, not ${apache}`);
  assert.ok(rop > 0 && rop <= 32, `the gateway delivers 1 to 32, not ${rop}`);
});

test('AckMessage with a receipt handle whose invisible time ran out: INVALID_RECEIPT_HANDLE on both', { timeout: 60_000 }, async (t) => {
  await consumerSessions(t);
  const handles: Array<{ messageId: string; receiptHandle: string }> = [];
  for (const side of sides) {
    assert.equal(statusOf(await send(side, { topic: ACK_TOPIC })), 'OK');
    const got = await receive(side, ACK_TOPIC, 1, 10_000);
    assert.equal(statusOf(got.answer), 'OK', `${side.name} delivers the message: ${statusText(got.answer)}`);
    const sp = got.messages[0]!.systemProperties as { messageId: string; receiptHandle: string };
    handles.push({ messageId: sp.messageId, receiptHandle: sp.receiptHandle });
  }
  const changed: string[] = [];
  await sameAnswer(t, 'ChangeInvisibleDuration to 1 s', 'OK', async (side) => {
    const h = handles[sides.indexOf(side)]!;
    const r = await side.raw.call('ChangeInvisibleDuration', { group: { name: GROUP }, topic: { name: ACK_TOPIC }, ...h, invisibleDuration: { seconds: 1, nanos: 0 } }, CONSUMER_ID);
    changed.push(String(r.receiptHandle ?? ''));
    return r;
  });
  await sleep(2000);
  await sameAnswer(t, 'AckMessage 2 s after its invisible time of 1 s', 'INVALID_RECEIPT_HANDLE', (side) => {
    const i = sides.indexOf(side);
    return side.raw.call('AckMessage', { group: { name: GROUP }, topic: { name: ACK_TOPIC }, entries: [{ messageId: handles[i]!.messageId, receiptHandle: changed[i] }] }, CONSUMER_ID);
  });
});
