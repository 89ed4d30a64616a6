import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { RemotingServer, type ListenerOptions } from '../../../src/remoting/remoting-server.js';
import { connectRemoting } from '../../../src/remoting/remoting-client.js';
import type { RemotingConnection } from '../../../src/remoting/remoting-connection.js';
import { MAX_UNSENT_BYTES } from '../../../src/remoting/remoting-connection.js';
import { createRequest, createResponse } from '../../../src/remoting/remoting-command.js';
import { encodeCommand } from '../../../src/remoting/header-codec.js';
import { ConnectionGate } from '../../../src/net/connection-gate.js';

const HOLD = 901;
const BIG = 902;
const ECHO = 903;
const WARN = 40;
const DEBUG = 20;

type Log = Record<string, unknown>;

/** A listener whose processors are the test's, with every log line it wrote and the connections it took. */
async function listener(options: ListenerOptions, gateLimit?: number) {
  const logs: Log[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { logs.push(JSON.parse(chunk.toString()) as Log); done(); } });
  const log = pino({ level: 'debug' }, sink);
  const gate = gateLimit === undefined ? undefined : new ConnectionGate(gateLimit, log);
  const server = new RemotingServer(log, 1 << 20, {}, { ...options, gate });
  const connections: RemotingConnection[] = [];
  server.on('connection', (c) => connections.push(c));
  server.register(ECHO, (req) => createResponse(req, 0, 'echo'));
  const port = await server.listen('127.0.0.1', 0);
  return { server, port, address: `127.0.0.1:${port}`, logs, connections, gate };
}

const frameOf = (code: number, n: number): Buffer => Buffer.concat(encodeCommand(createRequest(code, { n: String(n) })));
const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds, failing after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await wait(10);
  }
}

function rawClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves with how long after `since` the socket was closed by the other side. */
const closedAfter = (socket: Socket, since: number): Promise<number> => new Promise((resolve) => {
  socket.on('data', () => undefined).on('error', () => undefined);
  if (socket.destroyed) resolve(Date.now() - since);
  else socket.once('close', () => resolve(Date.now() - since));
});

test('a connection has at most maxInFlight requests processed at once; reading resumes as they are answered', { timeout: 20_000 }, async () => {
  const { server, address, connections } = await listener({ maxInFlight: 8 });
  let started = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  server.register(HOLD, async (req) => {
    started++;
    await released;
    return createResponse(req, 0, `held ${req.extFields.n}`);
  });
  const client = await connectRemoting(address);
  try {
    const answers = Array.from({ length: 50 }, (_, n) => client.invoke(createRequest(HOLD, { n: String(n) }), 10_000));
    await until(() => started === 8, '8 requests started');
    await wait(200);
    assert.equal(started, 8, 'no ninth request started while eight are held');
    assert.equal(connections[0]!.readingPaused, true, 'the gateway stopped reading from the client');
    release();
    const remarks = (await Promise.all(answers)).map((a) => a.remark);
    assert.deepEqual(remarks, Array.from({ length: 50 }, (_, n) => `held ${n}`), 'every request answered, once held ones are');
    assert.equal(started, 50);
    assert.equal(connections[0]!.readingPaused, false);
  } finally {
    client.destroy();
    await server.close(100);
  }
});

test('a client that pipelines requests and never reads the answers stops being read: the answers unsent stay bounded', { timeout: 30_000 }, async () => {
  const { server, port, connections } = await listener({ maxInFlight: 16 });
  const ANSWER_BYTES = 64 * 1024;
  const REQUESTS = 1500;
  let processed = 0;
  server.register(BIG, (req) => {
    processed++;
    return { ...createResponse(req, 0), body: Buffer.alloc(ANSWER_BYTES) };
  });
  const socket = await rawClient(port);
  try {
    socket.pause();
    socket.write(Buffer.concat(Array.from({ length: REQUESTS }, (_, n) => frameOf(BIG, n))));
    // Settles once the answers fill the gateway's buffer and the kernel's.
    let seen = -1;
    await until(() => {
      const settled = processed === seen && processed > 0;
      seen = processed;
      return settled;
    }, 'processing to settle', 10_000).catch(() => undefined);
    await wait(300);
    const stalled = processed;
    const conn = connections[0]!;
    assert.equal(conn.readingPaused, true, 'reading paused');
    assert.ok(conn.socket.writableLength < MAX_UNSENT_BYTES + 16 * (ANSWER_BYTES + 1024), `unsent ${conn.socket.writableLength} bytes`);
    // Unbounded, all 1500 (96 MiB of answers) would be processed at once; bounded, the gateway's 4 MiB, the loopback's
    // socket buffers and one batch of 16 in flight.
    assert.ok(stalled < REQUESTS / 3, `processed ${stalled} of ${REQUESTS} while the client read nothing`);
    let received = 0;
    socket.on('data', (d: Buffer) => (received += d.length));
    socket.resume();
    await until(() => processed === REQUESTS, 'every request processed once the client reads', 20_000);
    await until(() => received >= REQUESTS * ANSWER_BYTES, 'every answer received', 20_000);
  } finally {
    socket.destroy();
    await server.close(100);
  }
});

test('a frame begun must be complete within the frame deadline, however its bytes trickle in; one warn line says so', { timeout: 20_000 }, async () => {
  const { server, port, logs, gate } = await listener({ deadlines: { idleMs: 10_000, frameMs: 400 } }, 10);
  const frame = frameOf(ECHO, 1);
  const trickler = await rawClient(port);
  const started = Date.now();
  const closed = closedAfter(trickler, started);
  let sent = 0;
  const drip = setInterval(() => {
    if (sent < frame.length - 1 && !trickler.destroyed) trickler.write(frame.subarray(sent, ++sent));
  }, 30);
  try {
    const after = await closed;
    assert.ok(after >= 350 && after < 2000, `closed ${after} ms after the frame began`);
    const lines = logs.filter((l) => l.msg === 'closing connection: frame not complete in time');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, WARN);
    assert.equal(lines[0]!.frameTimeoutMs, 400);
    assert.equal(lines[0]!.err, undefined, 'no error object, so no stack');
    assert.equal(gate!.snapshot().expired.frame_timeout, 1);
  } finally {
    clearInterval(drip);
    trickler.destroy();
    await server.close(100);
  }
});

test('frames completed in time leave the connection open; only a silent one is closed at the idle timeout, quietly', { timeout: 20_000 }, async () => {
  const { server, address, port, logs, gate } = await listener({ deadlines: { idleMs: 600, frameMs: 200 } }, 10);
  const client = await connectRemoting(address);
  const raw = await rawClient(port);
  try {
    // Half a frame, then the rest well within the frame deadline: answered.
    const frame = frameOf(ECHO, 1);
    let answered = false;
    raw.on('data', () => (answered = true));
    raw.write(frame.subarray(0, 10));
    await wait(100);
    raw.write(frame.subarray(10));
    await until(() => answered, 'the split frame answered');
    const rawClosed = closedAfter(raw, Date.now());
    // A client that keeps talking more often than the idle timeout stays.
    for (let i = 0; i < 6; i++) {
      assert.equal((await client.invoke(createRequest(ECHO, {}), 5000)).code, 0);
      await wait(200);
    }
    assert.equal(client.isClosed, false, 'an active client is kept');
    const rawAfter = await rawClosed;
    assert.ok(rawAfter >= 550 && rawAfter < 3000, `the silent one closed ${rawAfter} ms after its last answer`);
    await until(() => client.isClosed, 'the other one, once silent, closed too', 3000);
    const idle = logs.filter((l) => l.msg === 'closing connection: idle');
    assert.equal(idle.length, 2);
    assert.ok(idle.every((l) => l.level === DEBUG), 'idle closes log at debug');
    assert.equal(logs.filter((l) => (l.level as number) >= WARN).length, 0, 'nothing to warn about');
    assert.deepEqual(gate!.snapshot().expired, { idle: 2, frame_timeout: 0 });
  } finally {
    client.destroy();
    raw.destroy();
    await server.close(100);
  }
});

test('a request being processed keeps its connection from idling out; the idle clock starts at its answer', { timeout: 20_000 }, async () => {
  const { server, address } = await listener({ deadlines: { idleMs: 300, frameMs: 300 } });
  server.register(HOLD, async (req) => {
    await wait(900);
    return createResponse(req, 0, 'late');
  });
  const client = await connectRemoting(address);
  try {
    const answer = await client.invoke(createRequest(HOLD, {}), 5000);
    assert.equal(answer.remark, 'late', 'held three idle timeouts long and answered');
    const answeredAt = Date.now();
    await new Promise<void>((resolve) => client.once('close', () => resolve()));
    const after = Date.now() - answeredAt;
    assert.ok(after >= 250 && after < 2000, `closed ${after} ms after the answer`);
  } finally {
    client.destroy();
    await server.close(100);
  }
});

test('past the connection limit a connection is closed at once; a burst of refusals leaves one warn line', { timeout: 20_000 }, async () => {
  const { server, port, address, logs, gate } = await listener({}, 3);
  const kept = await Promise.all([0, 1, 2].map(() => connectRemoting(address)));
  const refused: Socket[] = [];
  try {
    for (const c of kept) assert.equal((await c.invoke(createRequest(ECHO, {}), 5000)).code, 0);
    for (let i = 0; i < 5; i++) refused.push(await rawClient(port));
    const closedIn = await Promise.all(refused.map((s) => closedAfter(s, Date.now())));
    assert.ok(closedIn.every((ms) => ms < 1000), `refused connections closed at once (${closedIn.join(', ')} ms)`);
    const warned = logs.filter((l) => l.level === WARN);
    assert.equal(warned.length, 1, JSON.stringify(warned));
    assert.equal(warned[0]!.maxConnections, 3);
    assert.equal(gate!.snapshot().refused.remoting, 5);
    assert.equal(gate!.snapshot().open.remoting, 3);
    // One leaves, one more gets in.
    kept.pop()!.destroy();
    await until(() => gate!.open === 2, 'the closed one uncounted');
    const next = await connectRemoting(address);
    kept.push(next);
    assert.equal((await next.invoke(createRequest(ECHO, {}), 5000)).code, 0);
  } finally {
    for (const c of kept) c.destroy();
    for (const s of refused) s.destroy();
    await server.close(100);
  }
});
