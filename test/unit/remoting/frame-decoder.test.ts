import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder } from '../../../src/remoting/frame-decoder.js';
import { FrameTooLargeError, MalformedFrameError } from '../../../src/remoting/errors.js';

const frame = (payload: Buffer): Buffer => {
  const b = Buffer.alloc(4 + payload.length);
  b.writeUInt32BE(payload.length, 0);
  payload.copy(b, 4);
  return b;
};

test('splits frames delivered in arbitrary chunk boundaries', () => {
  const payloads = [Buffer.from('\0\0\0\x02{}'), Buffer.from('\0\0\0\x00'), Buffer.alloc(300, 7)];
  const stream = Buffer.concat(payloads.map(frame));
  for (const size of [1, 2, 3, 5, 7, 64, stream.length]) {
    const d = new FrameDecoder(1 << 20);
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i += size) out.push(...d.push(stream.subarray(i, i + size)));
    assert.deepEqual(out, payloads, `chunk size ${size}`);
    assert.equal(d.pending, 0);
  }
});

test('keeps a partial frame until the rest arrives', () => {
  const d = new FrameDecoder(1024);
  const f = frame(Buffer.alloc(10, 1));
  assert.deepEqual(d.push(f.subarray(0, 9)), []);
  assert.equal(d.pending, 9);
  assert.equal(d.push(f.subarray(9)).length, 1);
});

test('rejects an oversize frame as soon as its length is read', () => {
  const d = new FrameDecoder(1000);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(2000);
  assert.throws(() => d.push(head), FrameTooLargeError);
});

test('rejects a frame too short to hold its header-length word', () => {
  const d = new FrameDecoder(1000);
  assert.throws(() => d.push(Buffer.from([0, 0, 0, 2, 1, 1])), MalformedFrameError);
});
