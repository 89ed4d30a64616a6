import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peerAddress, resourceName, toNewMessage, toV2Message } from '../../../src/grpc/message-conversion.js';
import { answerSettings } from '../../../src/grpc/client-settings.js';
import { grpcStatus } from '../../../src/errors/boundaries.js';
import type { V2Message } from '../../../src/grpc/v2-types.js';

const message = (changes: Partial<V2Message['systemProperties']> = {}, userProperties: Record<string, string> = {}): V2Message => ({
  topic: { resourceNamespace: '', name: 'T' },
  userProperties,
  body: Buffer.from('hello'),
  systemProperties: {
    keys: ['k1', 'k2'],
    messageId: '01AABBCCDDEEFF0001000000010000000A',
    bodyEncoding: 'IDENTITY',
    messageType: 'NORMAL',
    bornHost: 'client-host',
    bornTimestamp: { seconds: 1_700_000_000, nanos: 250_000_000 },
    tag: 'TagA',
    ...changes,
  },
});

test('a v5 message becomes the 4.x properties Apache\'s proxy writes', () => {
  const m = toNewMessage(message({ messageGroup: 'g1' }, { user: 'v' }), 'ipv4:10.0.0.7:5555');
  assert.deepEqual(Object.fromEntries(m.properties), {
    user: 'v',
    UNIQ_KEY: '01AABBCCDDEEFF0001000000010000000A',
    TAGS: 'TagA',
    KEYS: 'k1 k2',
    __SHARDINGKEY: 'g1',
    __BORNHOST: 'client-host',
  });
  assert.equal(m.bornHost, '10.0.0.7:5555');
  assert.equal(m.bornTimestamp, 1_700_000_000_250);
  assert.equal(m.sysFlag, 0);
  assert.equal(toNewMessage(message({ bodyEncoding: 'GZIP' }), '').sysFlag, 1, 'a gzipped body is flagged compressed');
});

test('a delivery time becomes TIMER_DELIVER_MS; more than a day ahead is refused', () => {
  const now = 1_800_000_000_000;
  const m = toNewMessage(message({ deliveryTimestamp: { seconds: 1_800_000_010, nanos: 0 } }), '', now);
  assert.equal(m.properties.get('TIMER_DELIVER_MS'), '1800000010000');
  assert.throws(() => toNewMessage(message({ deliveryTimestamp: { seconds: 1_800_200_000, nanos: 0 } }), '', now), (e) => grpcStatus(e).code === 'ILLEGAL_DELIVERY_TIME');
});

test('malformed v5 messages are refused with the v5 code for each', () => {
  const refused = (m: V2Message, code: string) => assert.throws(() => toNewMessage(m, ''), (e) => grpcStatus(e).code === code, code);
  refused(message({ messageId: '' }), 'ILLEGAL_MESSAGE_ID');
  refused({ ...message(), body: Buffer.alloc(0) }, 'MESSAGE_BODY_EMPTY');
  refused(message({}, { KEYS: 'forged' }), 'ILLEGAL_MESSAGE_PROPERTY_KEY');
  refused(message({}, { 'a\nb': 'x' }), 'ILLEGAL_MESSAGE_PROPERTY_KEY');
  refused(message({ messageGroup: 'x'.repeat(64) }), 'ILLEGAL_MESSAGE_GROUP');
  assert.throws(() => resourceName({ resourceNamespace: '', name: '' }), (e) => grpcStatus(e).code === 'ILLEGAL_TOPIC');
});

// Apache's proxy (SendMessageActivity.buildMessageProperty, GrpcValidator at 5.3.3) with its ProxyConfig defaults.
test('a v5 message\'s tag, keys, group and user properties are refused as Apache\'s proxy refuses them', () => {
  const refused = (m: V2Message, code: string, why: RegExp) =>
    assert.throws(() => toNewMessage(m, ''), (e) => grpcStatus(e).code === code && why.test(grpcStatus(e).message), `${code} ${why}`);
  refused(message({ tag: 'a|b' }), 'ILLEGAL_MESSAGE_TAG', /'\|'/);
  refused(message({ tag: '   ' }), 'ILLEGAL_MESSAGE_TAG', /whitespace/);
  refused(message({ keys: ['ok', ' \t '] }), 'ILLEGAL_MESSAGE_KEY', /whitespace/);
  refused(message({ keys: ['k\u0085'] }), 'ILLEGAL_MESSAGE_KEY', /control/);
  refused(message({}, { p: 'v\u0000' }), 'ILLEGAL_MESSAGE_PROPERTY_KEY', /control/);
  refused(message({ keys: ['k'.repeat(70_000)] }), 'MESSAGE_PROPERTIES_TOO_LARGE', /70\d{3} bytes, over the limit of 16384/);
  refused(message({}, { big: 'v'.repeat(40_000) }), 'MESSAGE_PROPERTIES_TOO_LARGE', /over the limit of 16384/);
  refused(message({}, Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`p${i}`, 'v']))), 'MESSAGE_PROPERTIES_TOO_LARGE', /129 user properties, over the limit of 128/);
  refused(message({ messageGroup: ' ' }), 'ILLEGAL_MESSAGE_GROUP', /whitespace/);
  refused(message({ messageGroup: 'é'.repeat(32) }), 'ILLEGAL_MESSAGE_GROUP', /under 64 bytes/);
  // At the limits: 128 properties, and 16 KiB of properties, tag and keys together.
  const tagAndKeys = 'TagA'.length + 'k1'.length + 'k2'.length;
  assert.equal(toNewMessage(message({}, Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`p${i}`, 'v']))), '').properties.get('p127'), 'v');
  assert.equal(toNewMessage(message({}, { big: 'v'.repeat(16 * 1024 - 3 - tagAndKeys) }), '').properties.get('big')!.length, 16 * 1024 - 3 - tagAndKeys);
  assert.equal(toNewMessage(message({ messageGroup: 'g'.repeat(63) }), '').properties.get('__SHARDINGKEY')!.length, 63);
});

test('a namespace prefixes the topic as 4.x namespaces do; peers parse in every form grpc-js gives', () => {
  assert.equal(resourceName({ resourceNamespace: 'ns', name: 'T' }), 'ns%T');
  assert.equal(peerAddress('ipv4:127.0.0.1:4000'), '127.0.0.1:4000');
  assert.equal(peerAddress('127.0.0.1:4000'), '127.0.0.1:4000');
  assert.equal(peerAddress('[::1]:4000'), '127.0.0.1:4000');
  assert.equal(peerAddress('unix:/tmp/x'), '127.0.0.1:0');
});

test('settings answers carry what each client needs to start', () => {
  const policy = { maxBodyBytes: 4096, retryDelaysMs: [10_000, 30_000], maxDeliveryAttempts: 17, fifo: false };
  const producer = answerSettings({ pubSub: 'publishing', publishing: { topics: [] }, clientType: 'PRODUCER' }, policy);
  assert.deepEqual(producer.publishing, { topics: [], maxBodySize: 4096, validateMessageType: true });
  assert.ok((producer.backoffPolicy as { exponentialBackoff?: unknown }).exponentialBackoff, 'a producer gets an exponential back-off');
  const consumer = answerSettings({ pubSub: 'subscription', subscription: { group: { name: 'G' } } }, policy);
  assert.equal(consumer.subscription?.receiveBatchSize, 128);
  assert.deepEqual(consumer.backoffPolicy, { maxAttempts: 17, customizedBackoff: { next: [{ seconds: 10, nanos: 0 }, { seconds: 30, nanos: 0 }] } });
  const fifo = answerSettings({ pubSub: 'subscription', subscription: { group: { name: 'G' }, fifo: false } }, { ...policy, fifo: true });
  assert.equal(fifo.subscription?.fifo, true, 'the group\'s order, whatever the client assumed');
  assert.deepEqual(fifo.backoffPolicy, { maxAttempts: 17, exponentialBackoff: { initial: { seconds: 10, nanos: 0 }, max: { seconds: 30, nanos: 0 }, multiplier: 2 } }, 'FIFO consumers retry locally on an exponential policy');
});

test('a stored message reaches a v5 consumer with its id, system fields, user properties and an MD5 body digest', () => {
  const properties = new Map([['UNIQ_KEY', 'AC11000100002A9F0000000000000001'], ['TAGS', 'TagA'], ['KEYS', 'k1 k2'], ['WAIT', 'true'], ['__SHARDINGKEY', 'g'], ['user', 'v']]);
  const message = {
    topic: 'ns%T', queueId: 1, queueOffset: 7, storeTimestamp: 2000, locator: 5n, body: Buffer.from('hello'), flag: 0, sysFlag: 0,
    properties, bornTimestamp: 1000, bornHost: '10.0.0.1:1', reconsumeTimes: 0, preparedTransactionOffset: 0n,
  };
  const v2 = toV2Message(message, '127.0.0.1:9876', { deliveryAttempt: 2, receiptHandle: 'h' }) as { topic: unknown; userProperties: unknown; systemProperties: Record<string, unknown> };
  assert.deepEqual(v2.topic, { resourceNamespace: 'ns', name: 'T' });
  assert.deepEqual(v2.userProperties, { user: 'v' });
  const sp = v2.systemProperties;
  assert.equal(sp.messageId, 'AC11000100002A9F0000000000000001');
  assert.deepEqual(sp.bodyDigest, { type: 'MD5', checksum: '5D41402ABC4B2A76B9719D911017C592' });
  assert.deepEqual(sp.keys, ['k1', 'k2']);
  assert.equal(sp.tag, 'TagA');
  assert.equal(sp.messageType, 'FIFO');
  assert.equal(sp.messageGroup, 'g');
  assert.equal(sp.deliveryAttempt, 2);
  assert.equal(sp.queueOffset, 7);
  assert.deepEqual(sp.bornTimestamp, { seconds: 1, nanos: 0 });
});
