import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder } from '../../../src/remoting/frame-decoder.js';
import { decodeCommand } from '../../../src/remoting/header-codec.js';
import { SerializeType } from '../../../src/remoting/remoting-command.js';
import { parseProperties } from '../../../src/protocol/message-properties.js';
import type { HeartbeatBody } from '../../../src/protocol/bodies.js';
import { readHexFrame, readManifest } from '../../support/fixtures.js';

// Frames sent by ali-ons 3.12.0 to a gateway, captured by `node scripts/capture-golden.mjs ali-ons`.
// Expected values were read off the raw bytes (xxd), not produced by our decoder.
const SET = 'golden-ali-ons';

const decode = (file: string) => {
  const frames = new FrameDecoder(1 << 20).push(readHexFrame(SET, file));
  assert.equal(frames.length, 1);
  return decodeCommand(frames[0]!);
};

test('every captured ali-ons frame decodes as one JSON request', () => {
  const manifest = readManifest<{ file: string; requestCode: number; opaque: number }>(SET);
  assert.ok(manifest.length >= 8);
  for (const m of manifest) {
    const cmd = decode(m.file);
    assert.equal(cmd.serializeType, SerializeType.JSON, m.file);
    assert.equal(cmd.code, m.requestCode, m.file);
    assert.equal(cmd.opaque, m.opaque, m.file);
    assert.equal(cmd.flag & 1, 0, `${m.file} is a request`);
  }
});

test('SEND_MESSAGE_V2: short field names, numbers turned into strings, body intact', () => {
  const cmd = decode('01-request-310.hex');
  assert.equal(cmd.code, 310);
  assert.equal(cmd.language, 'JAVA');
  assert.equal(cmd.version, 121);
  assert.equal(cmd.extFields.a, 'GoldenPG');
  assert.equal(cmd.extFields.b, 'GoldenTopic');
  assert.equal(cmd.extFields.c, 'TBW102');
  assert.equal(cmd.extFields.d, '4');
  assert.equal(cmd.extFields.g, '1795572089852');
  assert.equal(cmd.extFields.k, 'false');
  assert.deepEqual([...parseProperties(cmd.extFields.i)], [['TAGS', 'TagA'], ['KEYS', 'key-1']]);
  assert.equal(cmd.body?.toString(), 'Hello golden');
});

test('PULL_MESSAGE carries suspend + subscription flags and the tag expression', () => {
  const cmd = decode('05-request-11.hex');
  assert.equal(cmd.extFields.sysFlag, '6');
  assert.equal(cmd.extFields.suspendTimeoutMillis, '15000');
  assert.equal(cmd.extFields.subscription, 'TagA');
  assert.equal(cmd.extFields.maxMsgNums, '32');
  assert.equal(cmd.body, undefined);
});

test('HEART_BEAT body names the consumer group, its subscriptions and the retry topic', () => {
  const cmd = decode('02-request-34.hex');
  const body = JSON.parse(cmd.body!.toString()) as HeartbeatBody;
  assert.equal(body.clientID, '192.0.2.2@4770');
  assert.equal(body.consumerDataSet?.[0]?.groupName, 'GoldenCG');
  assert.equal(body.consumerDataSet?.[0]?.messageModel, 'CLUSTERING');
  assert.deepEqual(body.consumerDataSet?.[0]?.subscriptionDataSet?.map((s) => [s.topic, s.subString]), [['GoldenTopic', 'TagA'], ['%RETRY%GoldenCG', '*']]);
  assert.deepEqual(body.producerDataSet, [{ groupName: 'GoldenPG' }]);
});

test('offset and unregister requests', () => {
  assert.deepEqual(
    { ...decode('06-request-15.hex').extFields, Signature: undefined },
    { Signature: undefined, AccessKey: 'k', OnsChannel: 'ALIYUN', topic: 'GoldenTopic', consumerGroup: 'GoldenCG', queueId: '0', commitOffset: '1' },
  );
  assert.equal(decode('07-request-35.hex').extFields.clientID, '192.0.2.2@4770');
});
