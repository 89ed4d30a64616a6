import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMessagingService } from '../../src/grpc/proto.js';
import { adminOfWorkerZeroOnly, startGateway } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { maxOffsetAcross } from '../support/cluster.js';
import { rawGrpcClient, statusOf } from '../support/grpc-raw-client.js';
import { Rocketmq5Clients } from '../support/rocketmq5.js';
import { parseMetrics, sum } from '../support/prometheus.js';

// The gRPC endpoint driven by a bare grpc-js client with Apache's protocol definitions, for RPCs and refusals the
// RocketMQ 5 clients at hand do not exercise (offsets, bad transaction ids and receipt handles); and the
// commands the gateway sends down a client's telemetry stream, through the admin API.

test('offsets over gRPC: GetOffset, UpdateOffset and QueryOffset agree with the store; bad requests are refused by code', { timeout: 60_000 }, async (t) => {
  const gw = await startGateway({ grpc: true, args: ['--default-queues', '2'] });
  const raw = rawGrpcClient(gw.grpcAddress!);
  t.after(() => raw.close());
  const producer = new Rocketmq5Clients(gw, t).producer(['OffsetTopic']);
  await producer.startup();
  const before = Date.now();
  for (let i = 0; i < 6; i++) await producer.send({ topic: 'OffsetTopic', body: Buffer.from(`m${i}`) });
  const queue = { topic: { name: 'OffsetTopic' }, id: 1 };
  const group = { name: 'OffsetGroup' };

  assert.deepEqual(await raw.call('GetOffset', { group, messageQueue: queue }).then((r) => [statusOf(r), r.offset]), ['OK', -1], 'no committed offset yet');
  assert.equal(statusOf(await raw.call('UpdateOffset', { group, messageQueue: queue, offset: 2 })), 'OK');
  assert.equal((await raw.call('GetOffset', { group, messageQueue: queue })).offset, 2);
  assert.equal((await raw.call('QueryOffset', { messageQueue: queue, queryOffsetPolicy: 'BEGINNING' })).offset, 0);
  // The endpoint speaks for its own broker (with --workers, the others hold their share of the six messages).
  const stored = await RemotingProbe.connect(gw.address);
  t.after(() => stored.close());
  assert.equal((await raw.call('QueryOffset', { messageQueue: queue, queryOffsetPolicy: 'END' })).offset, await stored.maxOffset('OffsetTopic', 1), 'the end is the store\'s');
  assert.equal(await maxOffsetAcross(gw.address, 'OffsetTopic', 0) + await maxOffsetAcross(gw.address, 'OffsetTopic', 1), 6, 'six messages over two queues');
  assert.equal((await raw.call('QueryOffset', { messageQueue: queue, queryOffsetPolicy: 'TIMESTAMP', timestamp: { seconds: Math.floor(before / 1000) - 60, nanos: 0 } })).offset, 0);

  assert.equal(statusOf(await raw.call('GetOffset', { group, messageQueue: { topic: { name: 'OffsetTopic' }, id: 7 } })), 'BAD_REQUEST', 'a queue the topic lacks');
  assert.equal(statusOf(await raw.call('GetOffset', { group, messageQueue: { topic: { name: 'NoSuchTopic' }, id: 0 } })), 'TOPIC_NOT_FOUND');
  assert.equal(statusOf(await raw.call('EndTransaction', { topic: { name: 'OffsetTopic' }, messageId: 'x', transactionId: 'not-ours', resolution: 'COMMIT' })), 'INVALID_TRANSACTION_ID');
  assert.equal(statusOf(await raw.call('ForwardMessageToDeadLetterQueue', { group, topic: { name: 'OffsetTopic' }, receiptHandle: 'bogus', messageId: 'x' })), 'INVALID_RECEIPT_HANDLE');
  assert.equal(statusOf(await raw.call('GetOffset', { group, messageQueue: queue }, '')), 'CLIENT_ID_REQUIRED');

  // Telemetry: malformed settings are answered with a status and the stream goes on; a well-formed one after them is answered.
  const answers = await raw.telemetry([
    { settings: { clientType: 'SIMPLE_CONSUMER', subscription: { subscriptions: [] } } },
    { settings: { clientType: 'SIMPLE_CONSUMER', subscription: { group: { name: '' } } } },
    { settings: { clientType: 'PRODUCER' } },
    { threadStackTrace: { nonce: 'nobody-asked', threadStackTrace: 'unsolicited' } },
    { settings: { clientType: 'PRODUCER', publishing: { topics: [{ name: 'OffsetTopic' }] } } },
  ], 4);
  assert.deepEqual(answers.map((a) => (a.status as { code: string }).code), ['ILLEGAL_CONSUMER_GROUP', 'ILLEGAL_CONSUMER_GROUP', 'BAD_REQUEST', 'OK']);
  assert.equal((answers[3]!.settings as { publishing: { maxBodySize: number } }).publishing.maxBodySize, 4 * 1024 * 1024);
  assert.equal(statusOf(await raw.call('GetOffset', { group, messageQueue: queue })), 'OK', 'the gateway serves on');
});

test('telemetry commands through the admin API: the client list, a client\'s thread stack, verifying a message; gRPC clients and calls in /metrics', { timeout: 60_000 , skip: adminOfWorkerZeroOnly }, async (t) => {
  const gw = await startGateway({ grpc: true, http: true });
  const nodeClients = new Rocketmq5Clients(gw, t);
  const producer = nodeClients.producer(['CommandTopic']);
  const consumer = nodeClients.simpleConsumer('CommandGroup', 'CommandTopic');
  await producer.startup();
  await consumer.startup();
  const { messageId } = await producer.send({ topic: 'CommandTopic', body: Buffer.from('verify me') });

  const { clients } = await (await fetch(`${gw.httpUrl}/api/grpc-clients`)).json() as { clients: Array<Record<string, unknown>> };
  const producerInfo = clients.find((c) => c.clientType === 'PRODUCER');
  const consumerInfo = clients.find((c) => c.clientType === 'SIMPLE_CONSUMER');
  assert.deepEqual(producerInfo?.topics, ['CommandTopic']);
  assert.equal(consumerInfo?.group, 'CommandGroup');
  assert.equal(producerInfo?.language, 'NODE_JS');

  const post = (path: string, body?: unknown) => fetch(`${gw.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  const stack = await post(`/api/grpc-clients/${encodeURIComponent(String(producerInfo!.clientId))}/thread-stack`);
  assert.equal(stack.status, 200);
  assert.equal((await stack.json() as { threadStack: string }).threadStack, 'mock stack', 'what the Node client reports as its stack');

  // The Node client does not verify messages: it says so, and the API passes that on.
  const verify = await post(`/api/grpc-clients/${encodeURIComponent(String(consumerInfo!.clientId))}/verify-message`, { msgId: messageId, topic: 'CommandTopic' });
  assert.equal(verify.status, 200);
  const verdict = await verify.json() as { consumed: boolean; status: { code: string } };
  assert.deepEqual([verdict.consumed, verdict.status.code], [false, 'NOT_IMPLEMENTED']);

  const samples = parseMetrics(await (await fetch(`${gw.httpUrl}/metrics`)).text());
  assert.equal(sum(samples, 'rocketmq_producer_connections', { language: 'NODE_JS' }), 1);
  assert.equal(sum(samples, 'rocketmq_consumer_connections', { consumer_group: 'CommandGroup', language: 'NODE_JS' }), 1);
  assert.equal(sum(samples, 'rocketmq_rpc_latency_count', { protocol_type: 'grpc', request_code: 'SendMessage', response_code: 'OK' }), 1);
  assert.ok(sum(samples, 'rocketmq_rpc_latency_count', { protocol_type: 'grpc', request_code: 'QueryRoute' }) >= 1);

  // The 5.x consumer is a member of its group wherever operators look (mqadmin's connection list reads the same service).
  const groupView = await (await fetch(`${gw.httpUrl}/api/groups/CommandGroup`)).json() as { members: Array<{ clientId: string; version: number }>; subscriptions: Array<{ topic: string }>; lag: number };
  assert.deepEqual(groupView.members.map((m) => [m.clientId, m.version]), [[consumerInfo!.clientId, 413]], 'counted as V5_0_0, as Apache\'s proxy does');
  assert.deepEqual(groupView.subscriptions.map((s) => s.topic), ['CommandTopic']);

  // Consumed and acked, then reset to the start: the group's pops deliver the message again.
  const [first] = await consumer.receive(1, 10_000);
  assert.equal(first?.messageId, messageId);
  await consumer.ack(first!);
  assert.equal((await (await fetch(`${gw.httpUrl}/api/groups/CommandGroup`)).json() as { lag: number }).lag, 0);
  assert.equal((await post('/api/groups/CommandGroup/reset-offsets', { topic: 'CommandTopic', position: 'earliest' })).status, 200);
  let again: Awaited<ReturnType<typeof consumer.receive>>[number] | undefined;
  for (let round = 0; round < 5 && !again; round++) [again] = await consumer.receive(1, 10_000);
  assert.equal(again?.messageId, messageId, 'the reset reached the pops, not only the committed offset');
  assert.equal(again?.deliveryAttempt, 1);

  assert.equal((await post('/api/grpc-clients/nobody/thread-stack')).status, 404);
  assert.equal((await post(`/api/grpc-clients/${encodeURIComponent(String(consumerInfo!.clientId))}/verify-message`, { msgId: '01AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', topic: 'CommandTopic' })).status, 404);
});

test('every RPC given an empty request answers with a status, and the gateway serves on', { timeout: 60_000 }, async (t) => {
  const gw = await startGateway({ grpc: true });
  const raw = rawGrpcClient(gw.grpcAddress!);
  t.after(async () => {
    raw.close();
    await gw.stop();
    gw.cleanup();
  });
  const definition = loadMessagingService();
  const codes = new Map<string, string>();
  for (const [method, d] of Object.entries(definition)) {
    if (d.requestStream && d.responseStream) continue;
    if (d.responseStream) {
      const first = await raw.firstOf(method, {});
      codes.set(method, (first.status as { code: string } | undefined)?.code ?? 'none');
    } else {
      codes.set(method, statusOf(await raw.call(method, {})));
    }
  }
  // A heartbeat and a termination notice name nothing that could be missing.
  for (const [method, code] of codes) if (method !== 'Heartbeat' && method !== 'NotifyClientTermination') assert.notEqual(code, 'OK', `${method} refuses an empty request`);
  assert.equal(codes.get('SendMessage'), 'BAD_REQUEST');
  assert.equal(codes.get('ReceiveMessage'), 'ILLEGAL_CONSUMER_GROUP');
  assert.equal(codes.get('QueryRoute'), 'ILLEGAL_TOPIC');
  assert.equal(gw.child.exitCode, null, 'the gateway is still running');
  assert.equal(statusOf(await raw.call('Heartbeat', {})), 'OK');
});
