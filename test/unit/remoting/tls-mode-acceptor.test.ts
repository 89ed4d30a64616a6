import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { RemotingServer, type ListenerOptions } from '../../../src/remoting/remoting-server.js';
import { connectRemoting } from '../../../src/remoting/remoting-client.js';
import { createRequest, createResponse } from '../../../src/remoting/remoting-command.js';
import { readRemotingTls, type RemotingTls, type RemotingTlsFlags } from '../../../src/remoting/tls-settings.js';
import { makeTestCertificates, type PemPair } from '../../support/tls-certificates.js';

const ECHO = 900;
const certs = makeTestCertificates();
test.after(() => certs.remove());

const tlsOf = (flags: Partial<RemotingTlsFlags> & Pick<RemotingTlsFlags, 'mode'>): RemotingTls | undefined =>
  readRemotingTls({ clientAuth: 'none', ...(flags.mode === 'disabled' ? {} : { certFile: certs.server.certFile, keyFile: certs.server.keyFile }), ...flags });

/** A listener answering ECHO, with every log line it wrote. */
async function listener(tls: RemotingTls | undefined, options: Omit<ListenerOptions, 'tls'> = {}): Promise<{ server: RemotingServer; address: string; logs: Array<Record<string, unknown>> }> {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
  const server = new RemotingServer(pino({ level: 'debug' }, sink), 1 << 20, {}, { tls, ...options });
  server.register(ECHO, (req) => createResponse(req, 0, `echo ${req.extFields?.n ?? ''}`));
  const port = await server.listen('127.0.0.1', 0);
  return { server, address: `127.0.0.1:${port}`, logs };
}

const clientTls = (client?: PemPair) => ({ rejectUnauthorized: false, ...(client ? { cert: client.cert, key: client.key } : {}) });

async function echo(address: string, tls?: ReturnType<typeof clientTls>): Promise<string | undefined> {
  const conn = await connectRemoting(address, 1 << 20, 5000, tls);
  try {
    return (await conn.invoke(createRequest(ECHO, { n: '1' }), 5000)).remark;
  } finally {
    conn.destroy();
  }
}

/** Resolves once the socket is closed by the other side, with what it received before. */
const closedBy = (socket: Socket): Promise<Buffer> => new Promise((resolve) => {
  const got: Buffer[] = [];
  socket.on('data', (d: Buffer) => got.push(d)).on('error', () => undefined).once('close', () => resolve(Buffer.concat(got)));
});

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP relay to `target` that holds a client's bytes `silentMs`, then passes one byte, waits `gapMs`, and passes the rest. */
async function trickleRelay(target: string, silentMs: number, gapMs: number): Promise<{ relay: Server; address: string }> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const relay = createServer((client) => {
    const upstream = connect({ host, port });
    const queued: Buffer[] = [];
    let started = false;
    client.on('data', (chunk: Buffer) => {
      queued.push(chunk);
      if (started) return;
      started = true;
      void (async () => {
        await wait(silentMs);
        const first = Buffer.concat(queued.splice(0));
        upstream.write(first.subarray(0, 1));
        await wait(gapMs);
        upstream.write(first.subarray(1));
        for (const c of queued.splice(0)) upstream.write(c);
        client.removeAllListeners('data');
        client.pipe(upstream);
      })();
    });
    upstream.pipe(client);
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) a.on('error', () => b.destroy()).on('close', () => b.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return { relay, address: `127.0.0.1:${(relay.address() as { port: number }).port}` };
}

test('permissive: TLS and plaintext clients on one port, each told apart by its first byte', async () => {
  const { server, address, logs } = await listener(tlsOf({ mode: 'permissive' }));
  try {
    assert.equal(await echo(address, clientTls()), 'echo 1', 'a TLS client');
    assert.equal(await echo(address), 'echo 1', 'a plaintext client');
    assert.equal(logs.filter((l) => l.level === 40).length, 0, 'nothing to warn about');
  } finally {
    await server.close(100);
  }
});

test('a client silent for a while, then sending one byte and later the rest, is told apart all the same (TLS and plaintext)', async () => {
  const { server, address } = await listener(tlsOf({ mode: 'permissive' }));
  const { relay, address: slow } = await trickleRelay(address, 300, 200);
  try {
    const started = Date.now();
    assert.equal(await echo(slow, clientTls()), 'echo 1', 'a TLS client whose ClientHello comes one byte first');
    assert.equal(await echo(slow), 'echo 1', 'a plaintext client whose frame comes one byte first');
    assert.ok(Date.now() - started >= 1000, 'the relay did hold the bytes back');
  } finally {
    relay.close();
    await server.close(100);
  }
});

test('enforcing: a plaintext client is closed with one log line, and TLS clients are still served', async () => {
  const { server, address, logs } = await listener(tlsOf({ mode: 'enforcing' }));
  try {
    await assert.rejects(echo(address), 'the plaintext request gets no answer');
    const garbage = connect({ host: '127.0.0.1', port: server.port });
    garbage.write(Buffer.from([0x00, 0xff, 0x13, 0x37]));
    assert.equal((await closedBy(garbage)).length, 0, 'garbage first bytes: closed without an answer');
    const refused = logs.filter((l) => l.msg === 'closing connection: a plaintext client on a TLS-only port (--remoting-tls-mode enforcing)');
    assert.equal(refused.length, 2, 'one line per refused connection');
    assert.equal(await echo(address, clientTls()), 'echo 1', 'still serving TLS clients');
    assert.equal(await echo(address, clientTls()), 'echo 1');
  } finally {
    await server.close(100);
  }
});

test('disabled: a TLS handshake is closed with one log line; plaintext is served', async () => {
  const { server, address, logs } = await listener(undefined);
  try {
    await assert.rejects(echo(address, clientTls()));
    assert.equal(logs.filter((l) => l.msg === 'closing connection: a TLS handshake on a plaintext port (--remoting-tls-mode is disabled)').length, 1);
    assert.equal(await echo(address), 'echo 1');
  } finally {
    await server.close(100);
  }
});

test('a handshake that fails (0x16 then garbage) is closed with one log line, and the listener keeps serving', async () => {
  const { server, address, logs } = await listener(tlsOf({ mode: 'permissive' }));
  try {
    const bad = connect({ host: '127.0.0.1', port: server.port });
    bad.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x20]), Buffer.alloc(32, 0xee)]));
    await closedBy(bad);
    const failed = logs.filter((l) => l.msg === 'closing connection: TLS handshake failed');
    assert.equal(failed.length, 1);
    assert.equal(typeof failed[0]!.error, 'string');
    assert.equal(await echo(address, clientTls()), 'echo 1');
    assert.equal(await echo(address), 'echo 1');
  } finally {
    await server.close(100);
  }
});

test('a client that never sends a byte is closed after the first-byte timeout, and close() does not wait for silent clients', async () => {
  const { server, logs } = await listener(tlsOf({ mode: 'permissive' }), { firstByteTimeoutMs: 300 });
  const silentOne = connect({ host: '127.0.0.1', port: server.port });
  await closedBy(silentOne);
  const DEBUG = 20;
  assert.deepEqual(logs.filter((l) => l.msg === 'closing connection: nothing received').map((l) => l.level), [DEBUG], 'one line, at debug: idle clients are no fault');
  const another = connect({ host: '127.0.0.1', port: server.port });
  await new Promise((resolve) => another.once('connect', resolve));
  const gone = closedBy(another);
  const started = Date.now();
  await server.close(100);
  await gone;
  assert.ok(Date.now() - started < 250, `closed in ${Date.now() - started} ms`);
});

test('a stalled handshake is given up after the handshake timeout with one log line', async () => {
  const { server, logs } = await listener(tlsOf({ mode: 'enforcing' }), { handshakeTimeoutMs: 300 });
  try {
    const stalled = connect({ host: '127.0.0.1', port: server.port });
    stalled.write(Buffer.from([0x16, 0x03, 0x01]));
    await closedBy(stalled);
    assert.equal(logs.filter((l) => l.msg === 'closing connection: TLS handshake failed').length, 1);
  } finally {
    await server.close(100);
  }
});

test('client certificates: require wants one the CA signed; optional also lets in a client without one', async () => {
  for (const clientAuth of ['require', 'optional'] as const) {
    const { server, address, logs } = await listener(tlsOf({ mode: 'enforcing', clientAuth, clientCaFile: certs.ca.certFile }));
    try {
      assert.equal(await echo(address, clientTls(certs.trustedClient)), 'echo 1', `${clientAuth}: a client certificate the CA signed`);
      await assert.rejects(echo(address, clientTls(certs.strangerClient)), `${clientAuth}: a certificate the CA did not sign`);
      if (clientAuth === 'require') await assert.rejects(echo(address, clientTls()), 'require: no certificate');
      else assert.equal(await echo(address, clientTls()), 'echo 1', 'optional: no certificate');
      const refused = logs.filter((l) => l.msg === 'closing connection: client certificate refused');
      assert.equal(refused.length, clientAuth === 'require' ? 2 : 1, JSON.stringify(refused));
    } finally {
      await server.close(100);
    }
  }
});

test('clients that reset the connection before their first byte or inside the handshake cost nothing but the connection', async () => {
  const { server, address, logs } = await listener(tlsOf({ mode: 'permissive' }));
  try {
    const early = connect({ host: '127.0.0.1', port: server.port });
    await new Promise((resolve) => early.once('connect', resolve));
    early.resetAndDestroy();
    const midHandshake = connect({ host: '127.0.0.1', port: server.port });
    midHandshake.write(Buffer.from([0x16, 0x03, 0x01, 0x01]));
    await wait(100);
    midHandshake.on('error', () => undefined).resetAndDestroy();
    await wait(200);
    assert.equal(server.connectionCount, 0, 'neither was taken as a connection');
    assert.equal(await echo(address, clientTls()), 'echo 1', 'still serving');
    assert.ok(logs.filter((l) => l.level === 40).length <= 1, `at most the handshake's line: ${JSON.stringify(logs)}`);
  } finally {
    await server.close(100);
  }
});
