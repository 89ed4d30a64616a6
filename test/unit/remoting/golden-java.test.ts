import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder } from '../../../src/remoting/frame-decoder.js';
import { decodeCommand } from '../../../src/remoting/header-codec.js';
import { SerializeType } from '../../../src/remoting/remoting-command.js';
import { parseProperties } from '../../../src/protocol/message-properties.js';
import { readHexFrame, readManifest } from '../../support/fixtures.js';

// Frames Apache RocketMQ's Java client 4.9.8 sent with ROCKETMQ (binary) header serialization, captured by
// `node scripts/capture-golden.mjs java`. Expected values were read off the raw bytes with xxd.
const SET = 'golden-java';

const decode = (file: string) => {
  const frames = new FrameDecoder(1 << 20).push(readHexFrame(SET, file));
  assert.equal(frames.length, 1);
  return decodeCommand(frames[0]!);
};

test('every captured Java frame decodes as one ROCKETMQ-serialized request', () => {
  const manifest = readManifest<{ file: string; requestCode: number; opaque: number; flag: number }>(SET);
  assert.ok(manifest.length >= 8);
  for (const m of manifest) {
    const cmd = decode(m.file);
    assert.equal(cmd.serializeType, SerializeType.ROCKETMQ, m.file);
    assert.equal(cmd.code, m.requestCode, m.file);
    assert.equal(cmd.opaque, m.opaque, m.file);
    assert.equal(cmd.flag, m.flag, m.file);
  }
});

test('SEND_MESSAGE_V2 binary header: code 310, JAVA, version 409, fields a..n, body bytes intact', () => {
  // bytes 8..: 01 36 | 00 | 01 99 | 00 00 00 03 | 00 00 00 00 | remark len 0 | ext len 0x121
  const cmd = decode('01-request-310.hex');
  assert.equal(cmd.code, 310);
  assert.equal(cmd.language, 'JAVA');
  assert.equal(cmd.version, 409);
  assert.equal(cmd.opaque, 3);
  assert.equal(cmd.flag, 0);
  assert.equal(cmd.remark, undefined);
  assert.equal(cmd.extFields.a, 'rop-harness-producer');
  assert.equal(cmd.extFields.b, 'GoldenTopic');
  assert.equal(cmd.extFields.c, 'TBW102');
  assert.equal(cmd.extFields.d, '4');
  assert.equal(cmd.extFields.e, '0');
  assert.equal(cmd.extFields.g, '1795581793341');
  assert.equal(cmd.extFields.k, 'false');
  assert.equal(cmd.extFields.n, 'rop-broker');
  const props = parseProperties(cmd.extFields.i);
  assert.equal(props.get('p-utf8'), '值-ü-0');
  assert.equal(props.get('KEYS'), 'key-0 k2-0');
  assert.equal(props.get('idx'), '0');
  assert.equal(props.get('UNIQ_KEY'), 'FD00000000000000000000000000000236D130946E097C9BEC3C0000');
  assert.equal(props.get('WAIT'), 'true');
  assert.equal(props.get('TAGS'), 'TagA');
  assert.deepEqual(cmd.body, Buffer.concat([Buffer.from('body-0-ünïcødé-✓-'), Buffer.from([0x00, 0x00, 0xff, 0x80])]));
});

test('PULL_MESSAGE binary header carries the lite-pull flags', () => {
  const cmd = decode('06-request-11.hex');
  assert.equal(cmd.opaque, 0x14);
  assert.equal(cmd.extFields.consumerGroup, 'GoldenCG');
  assert.equal(cmd.extFields.topic, 'GoldenTopic');
  assert.equal(cmd.extFields.queueId, '0');
  assert.equal(cmd.extFields.maxMsgNums, '10');
  assert.equal(cmd.extFields.sysFlag, '22');
  assert.equal(cmd.extFields.commitOffset, '0');
  assert.equal(cmd.extFields.suspendTimeoutMillis, '20000');
});

test('UPDATE_CONSUMER_OFFSET from the lite-pull consumer is oneway (flag 2)', () => {
  const cmd = decode('07-request-15.hex');
  assert.equal(cmd.flag, 2);
  assert.equal(cmd.extFields.commitOffset, '1');
  assert.equal(cmd.extFields.bname, 'rop-broker');
  assert.equal(cmd.extFields.ReqT, '0');
});

test('HEART_BEAT: a JSON body inside a binary header', () => {
  const cmd = decode('03-request-34.hex');
  assert.equal(cmd.code, 34);
  const body = JSON.parse(cmd.body!.toString()) as { clientID: string; consumerDataSet: Array<{ consumeFromWhere: string }> };
  assert.match(body.clientID, /@lite-\d+@STREAM$/);
  assert.equal(body.consumerDataSet[0]!.consumeFromWhere, 'CONSUME_FROM_LAST_OFFSET');
});
