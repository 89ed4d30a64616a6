import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ConnectionGate, connectionsWithin, openFileLimit } from '../../../src/net/connection-gate.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max processes             96363                96363                processes
Max open files            1024                 4096                 files
Max locked memory         8388608              8388608              bytes
`;

function logged() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
  return { log: pino({ level: 'debug' }, sink), lines };
}

test('the open-file limit is the soft one of /proc/<pid>/limits; "unlimited" or no line is none', () => {
  assert.equal(openFileLimit(LIMITS), 1024);
  assert.equal(openFileLimit(LIMITS.replace('1024    ', 'unlimited')), undefined);
  assert.equal(openFileLimit('Limit  Soft Limit\n'), undefined);
});

test('connections keep a quarter of the descriptors (at least 64) for the rest of the gateway', () => {
  assert.equal(connectionsWithin(1024), 768);
  assert.equal(connectionsWithin(200), 136);
  assert.equal(connectionsWithin(1_048_576), 786_432);
  assert.equal(connectionsWithin(10), 1, 'never none');
});

test('a --max-connections the descriptors cannot hold is lowered to what they can, with a warning', () => {
  const { log, lines } = logged();
  assert.equal(ConnectionGate.forProcess(10_000, log, LIMITS).limit, 768);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 40);
  assert.deepEqual([lines[0]!.maxConnections, lines[0]!.openFileLimit, lines[0]!.connections], [10_000, 1024, 768]);
  assert.equal(ConnectionGate.forProcess(500, log, LIMITS).limit, 500, 'one that fits is kept');
  assert.equal(ConnectionGate.forProcess(10_000, log, undefined).limit, 10_000, 'kept where /proc says nothing');
  assert.equal(lines.length, 1, 'no more warnings');
});

test('refusals past the limit are counted each, and logged once per 10 s window with the count since the last line', () => {
  const { log, lines } = logged();
  let now = 0;
  const gate = new ConnectionGate(2, log, () => now);
  const sockets = Array.from({ length: 8 }, () => new Socket());
  assert.equal(gate.admit(sockets[0]!, 'remoting'), true);
  assert.equal(gate.admit(sockets[1]!, 'grpc'), true);
  for (const s of sockets.slice(2, 6)) assert.equal(gate.admit(s, 'remoting'), false);
  assert.ok(sockets.slice(2, 6).every((s) => s.destroyed), 'refused sockets are closed');
  now = 9_000;
  assert.equal(gate.admit(sockets[6]!, 'grpc'), false);
  assert.equal(lines.length, 1, 'one line for the burst');
  assert.equal(lines[0]!.refused, 1);
  now = 20_000;
  assert.equal(gate.admit(sockets[7]!, 'grpc'), false);
  assert.equal(lines.length, 2);
  assert.equal(lines[1]!.refused, 5, 'the line counts the refusals since the last one, its own included');
  assert.deepEqual(gate.snapshot().refused, { remoting: 4, grpc: 2 });
  assert.deepEqual(gate.snapshot().open, { remoting: 1, grpc: 1 });
  sockets[0]!.destroy();
});
