import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from '../../../src/pulsar/crc32c.js';
import { PulsarFrameDecoder, PulsarFrameError, encodeCommand, encodePayloadCommand, decodeFrame } from '../../../src/pulsar/frame-codec.js';
import { BrokerEntryMetadataCodec, CommandType, MessageMetadataCodec, BaseCommandCodec, u64 } from '../../../src/pulsar/pulsar-api.js';
import { decodeBatch, encodeBatch } from '../../../src/pulsar/batch-codec.js';

test('CRC32C matches the Castagnoli check value', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
});

test('a simple command round-trips through the decoder fed one byte at a time', () => {
  const frame = encodeCommand({ type: CommandType.FLOW, flow: { consumerId: 7, messagePermits: 1000 } });
  assert.equal(frame.readUInt32BE(0), frame.length - 4);
  const decoder = new PulsarFrameDecoder();
  const frames = [];
  for (const b of frame) frames.push(...decoder.push(Buffer.from([b])));
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.command.type, CommandType.FLOW);
  assert.equal(u64(frames[0]!.command.flow!.consumerId), 7);
  assert.equal(frames[0]!.command.flow!.messagePermits, 1000);
});

test('a SEND frame carries magic 0x0e01 and a CRC32C over metadata size, metadata and payload', () => {
  const payload = Buffer.from('hello pulsar');
  const frame = encodePayloadCommand(
    { type: CommandType.SEND, send: { producerId: 1, sequenceId: 42, numMessages: 1 } },
    { producerName: 'p', sequenceId: 42, publishTime: 1700000000000, properties: [{ key: 'TAGS', value: 'TagA' }], partitionKey: 'k1' },
    payload,
  );
  const cmdSize = frame.readUInt32BE(4);
  const at = 8 + cmdSize;
  assert.equal(frame.readUInt16BE(at), 0x0e01);
  assert.equal(frame.readUInt32BE(at + 2), crc32c(frame.subarray(at + 6)));
  const [decoded] = new PulsarFrameDecoder().push(frame);
  assert.equal(decoded!.payload!.checksumValid, true);
  assert.deepEqual(decoded!.payload!.payload, payload);
  assert.equal(decoded!.payload!.metadata.partitionKey, 'k1');
  assert.deepEqual(decoded!.payload!.metadata.properties!.map((p) => [p.key, p.value]), [['TAGS', 'TagA']]);
});

test('a corrupted payload is reported as a checksum mismatch', () => {
  const frame = encodePayloadCommand({ type: CommandType.SEND, send: { producerId: 1, sequenceId: 1 } }, { producerName: 'p', sequenceId: 1, publishTime: 1 }, Buffer.from('abc'));
  frame[frame.length - 1] ^= 0xff;
  assert.equal(decodeFrame(frame.subarray(4)).payload!.checksumValid, false);
});

test('broker entry metadata (magic 0x0e02) ahead of the message is decoded', () => {
  const cmd = BaseCommandCodec.encode({ type: CommandType.MESSAGE, message: { consumerId: 3, messageId: { ledgerId: 10, entryId: 5 } } });
  const bem = BrokerEntryMetadataCodec.encode({ brokerTimestamp: 1700000000123, index: 99 });
  const meta = MessageMetadataCodec.encode({ producerName: 'x', sequenceId: 0, publishTime: 5 });
  const payload = Buffer.from('body');
  const checked = Buffer.concat([Buffer.alloc(4), Buffer.from(meta), payload]);
  checked.writeUInt32BE(meta.length, 0);
  const parts = [Buffer.alloc(4), Buffer.from(cmd), Buffer.alloc(6), Buffer.from(bem), Buffer.alloc(6), checked];
  parts[0]!.writeUInt32BE(cmd.length, 0);
  parts[2]!.writeUInt16BE(0x0e02, 0);
  parts[2]!.writeUInt32BE(bem.length, 2);
  parts[4]!.writeUInt16BE(0x0e01, 0);
  parts[4]!.writeUInt32BE(crc32c(checked), 2);
  const body = Buffer.concat(parts);
  const f = decodeFrame(body);
  assert.equal(u64(f.payload!.brokerEntryMetadata!.index), 99);
  assert.equal(u64(f.payload!.brokerEntryMetadata!.brokerTimestamp), 1700000000123);
  assert.equal(f.payload!.checksumValid, true);
  assert.equal(f.payload!.payload.toString(), 'body');
});

test('oversize and undersize frames are rejected with a typed error', () => {
  const d = new PulsarFrameDecoder(1024);
  const big = Buffer.alloc(8);
  big.writeUInt32BE(4096, 0);
  assert.throws(() => d.push(big), PulsarFrameError);
  const small = Buffer.alloc(8);
  small.writeUInt32BE(2, 0);
  assert.throws(() => new PulsarFrameDecoder().push(small), PulsarFrameError);
});

test('a frame whose command size overruns it is rejected', () => {
  const body = Buffer.alloc(8);
  body.writeUInt32BE(100, 0);
  assert.throws(() => decodeFrame(body), PulsarFrameError);
});

test('batch payloads round-trip and reject truncation', () => {
  const payload = encodeBatch([
    { metadata: { properties: [{ key: 'a', value: '1' }], partitionKey: 'k', payloadSize: 0 }, payload: Buffer.from('one') },
    { metadata: { payloadSize: 0 }, payload: Buffer.from('two!') },
  ]);
  const entries = decodeBatch(payload, 2);
  assert.deepEqual(entries.map((e) => e.payload.toString()), ['one', 'two!']);
  assert.equal(entries[0]!.metadata.partitionKey, 'k');
  assert.equal(entries[1]!.metadata.payloadSize, 4, 'encodeBatch sets each payloadSize from its payload');
  assert.throws(() => decodeBatch(payload.subarray(0, payload.length - 2), 2), PulsarFrameError);
  assert.throws(() => decodeBatch(payload, 3), PulsarFrameError);
});
