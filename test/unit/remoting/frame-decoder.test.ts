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

test('large frames, gathered into a buffer of their own as they arrive, decode as the others do', () => {
  const payloads = [Buffer.alloc(200, 1), Buffer.from('\0\0\0\x00'), Buffer.alloc(500, 2), Buffer.alloc(64, 3)];
  const stream = Buffer.concat(payloads.map(frame));
  for (const size of [1, 3, 50, 199, 204, 1000, stream.length]) {
    const d = new FrameDecoder(1 << 20, 100);
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i += size) {
      out.push(...d.push(stream.subarray(i, i + size)));
      assert.equal(d.pending + out.reduce((n, f) => n + 4 + f.length, 0), Math.min(i + size, stream.length), `pending counts every byte held (chunk size ${size})`);
    }
    assert.deepEqual(out, payloads, `chunk size ${size}`);
    assert.equal(d.pending, 0);
  }
});

test('clear() lets go of a partial frame, large or not', () => {
  for (const assembleFrom of [100, 1 << 20]) {
    const d = new FrameDecoder(1 << 20, assembleFrom);
    const f = frame(Buffer.alloc(300, 9));
    assert.deepEqual(d.push(f.subarray(0, 150)), []);
    assert.equal(d.pending, 150);
    d.clear();
    assert.equal(d.pending, 0);
    assert.deepEqual(d.push(frame(Buffer.alloc(8, 1))), [Buffer.alloc(8, 1)], 'the next frame starts afresh');
  }
});
