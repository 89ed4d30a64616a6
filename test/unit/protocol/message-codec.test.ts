import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createOffsetMsgId,
  decodeBatchBody,
  decodeStoredMessages,
  encodeStoredMessage,
  parseOffsetMsgId,
  SysFlag,
  type WireMessage,
} from '../../../src/protocol/message-codec.js';
import { formatProperties, parseProperties, tagsHashCode } from '../../../src/protocol/message-properties.js';
import { matchesTag, parseTagExpression } from '../../../src/protocol/subscription.js';
import { BrokerError } from '../../../src/errors/broker-error.js';

const sample: WireMessage = {
  topic: 'TopicTest',
  queueId: 3,
  queueOffset: 42,
  locator: 0x1234_5678_9abcn,
  flag: 0,
  sysFlag: 0,
  bornTimestamp: 1_700_000_000_000,
  bornHost: '127.0.0.1:50000',
  storeTimestamp: 1_700_000_000_123,
  reconsumeTimes: 0,
  preparedTransactionOffset: 0n,
  body: Buffer.from('Hello RocketMQ'),
  properties: formatProperties(new Map([['TAGS', 'TagA'], ['KEYS', 'k1'], ['UNIQ_KEY', 'AC11000100002A9F0000000000000000']])),
};

test('stored-message layout round-trips and fills RocketMQ fields', () => {
  const buf = encodeStoredMessage(sample, '10.0.0.5:10911');
  assert.equal(buf.readInt32BE(0), buf.length, 'TOTALSIZE');
  assert.equal(buf.readInt32BE(4), -626843481, 'MAGICCODE V1');
  const [m] = decodeStoredMessages(buf);
  assert.ok(m);
  assert.equal(m.topic, sample.topic);
  assert.equal(m.queueOffset, 42);
  assert.equal(m.locator, sample.locator);
  assert.equal(m.storeHost, '10.0.0.5:10911');
  assert.equal(m.bornHost, '127.0.0.1:50000');
  assert.equal(m.properties, sample.properties);
  assert.deepEqual(m.body, sample.body);
});

test('body CRC equals java.util.zip.CRC32 of the body with the top bit cleared', () => {
  // Expected value computed with the JDK: new CRC32().update("Hello RocketMQ".getBytes()) & 0x7FFFFFFF.
  const [m] = decodeStoredMessages(encodeStoredMessage(sample, '127.0.0.1:1'));
  assert.equal(m!.bodyCrc, 1774740973);
});

test('IPv6 hosts set the V6 sysflag bits', () => {
  const buf = encodeStoredMessage({ ...sample, bornHost: '[::1]:5' }, '[fe80::1]:10911');
  const [m] = decodeStoredMessages(buf);
  assert.equal(m!.sysFlag & SysFlag.BORNHOST_V6, SysFlag.BORNHOST_V6);
  assert.equal(m!.sysFlag & SysFlag.STOREHOST_V6, SysFlag.STOREHOST_V6);
  assert.equal(m!.storeHost, '[fe80:0:0:0:0:0:0:1]:10911');
});

test('offsetMsgId encodes store host and locator as 32 upper-case hex digits', () => {
  const id = createOffsetMsgId('127.0.0.1:10911', 0x10n);
  assert.equal(id, '7F00000100002A9F0000000000000010');
  assert.deepEqual(parseOffsetMsgId(id), { storeHost: '127.0.0.1:10911', locator: 0x10n });
  assert.equal(parseOffsetMsgId('not-an-id'), undefined);
});

test('properties parse like the Java client, skipping malformed pairs', () => {
  const p = parseProperties('A\u00011\u0002broken\u0002B\u0001\u0002C\u0001x\u0001y\u0002');
  assert.deepEqual([...p], [['A', '1'], ['B', ''], ['C', 'x\u0001y']]);
});

test('properties parse in time linear in their length, however many malformed pairs come first', () => {
  // 1,000,000 pairs without a separator before one that has it: scanning to it afresh for each pair takes ten seconds.
  const s = `${'a\u0002'.repeat(1_000_000)}k\u0001v\u0002`;
  const started = performance.now();
  assert.deepEqual([...parseProperties(s)], [['k', 'v']]);
  assert.ok(performance.now() - started < 1000, `parsed in ${Math.round(performance.now() - started)} ms`);
  assert.deepEqual([...parseProperties('\u0001x\u0002a\u0001b')], [['a', 'b']], 'a pair with no name is skipped, the next still read');
});

test('tags hash is Java String.hashCode (expected values computed with the JDK)', () => {
  assert.equal(tagsHashCode('TagA'), 2598919);
  assert.equal(tagsHashCode(''), 0);
  assert.equal(tagsHashCode('a longer tag that overflows'), 1809211670);
});

test('tag expressions: * matches all, || lists alternatives', () => {
  const all = parseTagExpression('*');
  assert.ok(matchesTag(all, undefined));
  const ab = parseTagExpression(' TagA || TagB ');
  assert.ok(matchesTag(ab, 'TagA'));
  assert.ok(matchesTag(ab, 'TagB'));
  assert.ok(!matchesTag(ab, 'TagC'));
  assert.ok(!matchesTag(ab, undefined));
});

test('batch body: splits messages and rejects overruns', () => {
  const one = (body: string, props: string): Buffer => {
    const b = Buffer.from(body);
    const p = Buffer.from(props);
    const out = Buffer.alloc(20 + b.length + 2 + p.length);
    out.writeInt32BE(out.length, 0);
    out.writeInt32BE(7, 12);
    out.writeInt32BE(b.length, 16);
    b.copy(out, 20);
    out.writeInt16BE(p.length, 20 + b.length);
    p.copy(out, 22 + b.length);
    return out;
  };
  const entries = decodeBatchBody(Buffer.concat([one('a', 'K\u0001v\u0002'), one('bb', '')]));
  assert.equal(entries.length, 2);
  assert.equal(entries[0]!.flag, 7);
  assert.equal(entries[1]!.body.toString(), 'bb');
  const bad = one('abc', '');
  bad.writeInt32BE(100, 16);
  assert.throws(() => decodeBatchBody(bad), (err: unknown) => err instanceof BrokerError && err.kind === 'illegal-message' && /body of 100 bytes/.test(err.message));
});
