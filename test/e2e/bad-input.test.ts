import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';

// Raw bytes at the gateway: each bad connection is closed with exactly one warn line, and everything
// else (a long-lived healthy connection, new connections, the process) carries on.
const MAX_FRAME = 1024 * 1024;
const WARN = 40;
let gw: GatewayProcess;
let healthy: RemotingProbe;

before(async () => {
  gw = await startGateway({ args: ['--max-frame-size', String(MAX_FRAME)] });
  healthy = await RemotingProbe.connect(gw.address);
});

after(async () => {
  healthy.close();
  await gw.stop();
  gw.cleanup();
});

async function rawConnection(): Promise<{ socket: Socket; closed: Promise<void>; received: Buffer[] }> {
  const socket = connect({ host: '127.0.0.1', port: gw.port });
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  const received: Buffer[] = [];
  socket.on('data', (d: Buffer) => received.push(d));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, closed, received };
}

function frame(header: Buffer, serializeType = 0, body = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt32BE(4 + header.length + body.length, 0);
  out.writeUInt32BE(((serializeType << 24) | header.length) >>> 0, 4);
  return Buffer.concat([out, header, body]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `p`, or a rejection after `ms`; the timer is cleared either way so it cannot hold the file open. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `cond` until it holds, failing after `ms` (and then polling no more). */
async function until(cond: () => boolean, ms: number, what: string, every = 10): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(every);
  }
}

/** Every warn line the gateway printed: each bad input must add exactly one, and nothing else may warn. */
const warnings = () => gw.logs.filter((l) => l.level === WARN);

/** Sends `bytes`, expects the gateway to close that connection with one new warn line, then checks the rest still works. */
async function expectRejected(bytes: Buffer, what: string, endAfter = false): Promise<Record<string, unknown>> {
  const before = warnings().length;
  const c = await rawConnection();
  c.socket.write(bytes);
  if (endAfter) c.socket.end();
  await within(c.closed, 5000, `the gateway closing the connection after ${what}`);
  await until(() => warnings().length > before, 5000, `a log line for ${what}`, 20);
  await sleep(200);
  assert.equal(warnings().length, before + 1, `exactly one warn line for ${what}: ${JSON.stringify(warnings().slice(before))}`);
  assert.match(String(warnings().at(-1)!.msg), /^closing connection/, `the warn line for ${what}`);
  assert.ok(await healthy.maxOffset('BadInputTopic', 0) >= 0, `the long-lived connection still answers after ${what}`);
  const fresh = await RemotingProbe.connect(gw.address);
  assert.ok(await fresh.maxOffset('BadInputTopic', 0) >= 0, `a new connection is served after ${what}`);
  fresh.close();
  return warnings().at(-1)!;
}

test('garbage bytes close only that connection', { timeout: 30_000 }, async () => {
  const garbage = Buffer.from('GET / HTTP/1.1\r\nHost: example\r\n\r\n' + 'z'.repeat(30));
  const line = await expectRejected(garbage, 'garbage');
  assert.match(String(line.error), /size limit|exceeds|minimum|malformed|header/i);
});

test('a frame shorter than its length prefix, then end of stream, is logged and dropped', { timeout: 30_000 }, async () => {
  // The length prefix promises 100 bytes; 20 arrive, then the client ends its writing side.
  const partial = Buffer.alloc(4 + 20);
  partial.writeUInt32BE(100, 0);
  partial.writeUInt32BE(16, 4);
  const line = await expectRejected(partial, 'a truncated frame', true);
  assert.match(String(line.error), /inside a frame/);
});

test('a header of invalid JSON closes the connection', { timeout: 30_000 }, async () => {
  const line = await expectRejected(frame(Buffer.from('{not json')), 'an invalid JSON header');
  assert.equal(line.msg, 'closing connection: malformed frame');
});

test('a ROCKETMQ header whose lengths overrun the frame closes the connection', { timeout: 30_000 }, async () => {
  const header = Buffer.alloc(21);
  header.writeInt16BE(105, 0);
  header.writeInt32BE(1000, 13);
  await expectRejected(frame(header, 1), 'an overrunning binary header');
});

test('a frame over --max-frame-size closes the connection before it is buffered', { timeout: 30_000 }, async () => {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(2 * MAX_FRAME, 0);
  const line = await expectRejected(head, 'an oversize frame');
  assert.equal(line.msg, 'closing connection: frame over the size limit');
  assert.match(String(line.error), new RegExp(String(2 * MAX_FRAME)));
});

test('an unknown request code gets REQUEST_CODE_NOT_SUPPORTED and the connection stays usable', { timeout: 30_000 }, async () => {
  const c = await rawConnection();
  const header = (code: number, opaque: number, ext?: Record<string, string>) =>
    Buffer.from(JSON.stringify({ code, flag: 0, language: 'JAVA', opaque, serializeTypeCurrentRPC: 'JSON', version: 399, ...(ext ? { extFields: ext } : {}) }));
  const read = async (): Promise<{ code: number; opaque: number; flag: number; remark?: string }> => {
    await until(() => Buffer.concat(c.received).length >= 8, 5000, 'a response');
    let all = Buffer.concat(c.received);
    const len = all.readUInt32BE(0);
    await until(() => (all = Buffer.concat(c.received)).length >= 4 + len, 5000, 'the whole response');
    c.received.length = 0;
    if (all.length > 4 + len) c.received.push(all.subarray(4 + len));
    const headerLen = all.readUInt32BE(4) & 0xffffff;
    return JSON.parse(all.subarray(8, 8 + headerLen).toString()) as { code: number; opaque: number; flag: number; remark?: string };
  };
  c.socket.write(frame(header(9999, 77)));
  const r1 = await read();
  assert.equal(r1.code, 3);
  assert.equal(r1.opaque, 77);
  assert.equal(r1.flag & 1, 1);
  assert.match(r1.remark ?? '', /9999/);
  c.socket.write(frame(header(105, 78, { topic: 'X' })));
  const r2 = await read();
  assert.equal(r2.code, 0);
  assert.equal(r2.opaque, 78);
  assert.equal(c.socket.destroyed, false, 'the connection is still open');
  c.socket.destroy();
  assert.ok(await healthy.maxOffset('BadInputTopic', 0) >= 0, 'the long-lived connection still answers');
});

test('a refused code is logged at warn once per code and connection, with the client\'s address', { timeout: 30_000 }, async () => {
  const refusals = () => warnings().filter((l) => l.msg === 'request code not supported');
  const before = refusals().length;
  const probes = [await RemotingProbe.connect(gw.address), await RemotingProbe.connect(gw.address)];
  try {
    for (const probe of probes) {
      for (let i = 0; i < 3; i++) {
        const r = await probe.invoke(9999, {});
        assert.equal(r.code, 3);
        assert.match(r.remark ?? '', /request code 9999 is not supported/);
      }
      assert.equal((await probe.invoke(9998, {})).code, 3);
    }
    await until(() => refusals().length >= before + 4, 5000, 'the warn lines');
    await sleep(200);
    const lines = refusals().slice(before);
    assert.deepEqual(lines.map((l) => l.code).sort(), [9998, 9998, 9999, 9999], JSON.stringify(lines));
    assert.equal(new Set(lines.map((l) => l.remote)).size, 2, 'one line per code on each of the two connections');
    for (const l of lines) assert.match(String(l.remote), /^127\.0\.0\.1:\d+$/);
    // A code refused on purpose says its name and why, in the answer and the log line.
    const r = await probes[0]!.invoke(3005, {});
    assert.equal(r.code, 3);
    assert.match(r.remark ?? '', /^request code 3005 \(AUTH_LIST_USER\) is not supported by this gateway: the gateway has no authentication/);
    await until(() => refusals().some((l) => l.code === 3005), 5000, 'the warn line for 3005');
    assert.equal(refusals().find((l) => l.code === 3005)!.name, 'AUTH_LIST_USER');
  } finally {
    for (const probe of probes) probe.close();
  }
});

test('after all of it the gateway process is alive and logged no errors', async () => {
  assert.equal(gw.child.exitCode, null);
  assert.equal(gw.child.signalCode, null);
  assert.ok(await healthy.maxOffset('BadInputTopic', 0) >= 0, 'the long-lived connection still answers at the end');
  assert.equal(gw.logs.filter((l) => Number(l.level) >= 50).length, 0);
});
