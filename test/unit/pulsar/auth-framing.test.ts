import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PulsarFrameDecoder, encodeCommand, type Frame } from '../../../src/pulsar/frame-codec.js';
import { BaseCommandCodec, CommandType } from '../../../src/pulsar/pulsar-api.js';
import { PulsarConnection, authResponseCommand, connectCommand } from '../../../src/pulsar/pulsar-connection.js';
import { readToken, tokenAuthentication } from '../../../src/pulsar/auth.js';
import { PulsarAccessError } from '../../../src/pulsar/errors.js';
import { parseServiceUrl } from '../../../src/pulsar/pulsar-client.js';
import { pulsarTlsConfig, pulsarTokenConfig } from '../../../src/startup/pulsar-access-config.js';
import { ConfigError } from '../../../src/config-layers.js';

const dir = mkdtempSync(join(tmpdir(), 'rop-auth-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** PulsarApi.proto: the bytes of a length-delimited field `field` holding `value`. */
const lengthDelimited = (field: number, value: Buffer): Buffer => Buffer.concat([Buffer.from([(field << 3) | 2, value.length]), value]);

test('CONNECT carries auth_method_name (field 5) "token", the token as auth_data (field 3), and supports_auth_refresh', () => {
  const bytes = Buffer.from(BaseCommandCodec.encode(connectCommand(tokenAuthentication({ token: 'abc.def.ghi' }))));
  assert.ok(bytes.includes(lengthDelimited(5, Buffer.from('token'))), 'auth_method_name = 5');
  assert.ok(bytes.includes(lengthDelimited(3, Buffer.from('abc.def.ghi'))), 'auth_data = 3');
  const decoded = BaseCommandCodec.decode(bytes);
  assert.equal(decoded.type, CommandType.CONNECT);
  assert.equal(decoded.connect!.authMethodName, 'token');
  assert.equal(Buffer.from(decoded.connect!.authData!).toString(), 'abc.def.ghi');
  assert.equal(decoded.connect!.featureFlags!.supportsAuthRefresh, true);
  assert.equal(decoded.connect!.featureFlags!.supportsBrokerEntryMetadata, true);
});

test('CONNECT without credentials has no auth fields', () => {
  const decoded = BaseCommandCodec.decode(BaseCommandCodec.encode(connectCommand()));
  assert.equal(decoded.connect!.authMethodName ?? '', '');
  assert.equal(decoded.connect!.authData?.length ?? 0, 0);
});

test('AUTH_RESPONSE is BaseCommand field 37 holding AuthData { auth_method_name = 1, auth_data = 2 } read fresh', () => {
  const file = join(dir, 'rotating.token');
  writeFileSync(file, 'first\n');
  const auth = tokenAuthentication({ file });
  assert.equal(Buffer.from(BaseCommandCodec.decode(BaseCommandCodec.encode(connectCommand(auth))).connect!.authData!).toString(), 'first');
  writeFileSync(file, '  second  ');
  const bytes = Buffer.from(BaseCommandCodec.encode(authResponseCommand(auth)));
  // Tag (37 << 3) | 2 = 298, as a varint: 0xaa 0x02.
  assert.ok(bytes.includes(Buffer.from([0xaa, 0x02])), 'field 37');
  const authData = Buffer.concat([lengthDelimited(1, Buffer.from('token')), lengthDelimited(2, Buffer.from('second'))]);
  assert.ok(bytes.includes(authData), 'AuthData with the token read again');
  const decoded = BaseCommandCodec.decode(bytes);
  assert.equal(decoded.type, CommandType.AUTH_RESPONSE);
  assert.equal(decoded.authResponse!.response!.authMethodName, 'token');
});

test('a token file that is missing or empty is an access error naming the file; a given token is trimmed', () => {
  assert.throws(() => readToken({ file: join(dir, 'absent.token') }), (err: Error) => err instanceof PulsarAccessError && err.message.includes('absent.token'));
  writeFileSync(join(dir, 'empty.token'), '\n');
  assert.throws(() => readToken({ file: join(dir, 'empty.token') }), /is empty/);
  assert.equal(readToken({ token: ' t \n' }), 't');
});

test('pulsar+ssl:// service URLs speak TLS on 6651 unless a port is given; others are refused', () => {
  assert.deepEqual(parseServiceUrl('pulsar+ssl://broker.example'), { host: 'broker.example', port: 6651, tls: true });
  assert.deepEqual(parseServiceUrl('pulsar://127.0.0.1:6650'), { host: '127.0.0.1', port: 6650, tls: false });
  assert.throws(() => parseServiceUrl('pulsar+tls://h:1'), /unsupported Pulsar service URL/);
});

test('the token settings exclude each other and are checked at start; the CA file must hold a PEM certificate', () => {
  assert.throws(() => pulsarTokenConfig('t', join(dir, 'x')), ConfigError);
  assert.throws(() => pulsarTokenConfig(undefined, join(dir, 'absent.token')), (err: Error) => err instanceof ConfigError && err.message.includes('absent.token'));
  assert.equal(pulsarTokenConfig(undefined, undefined), undefined);
  writeFileSync(join(dir, 'not-a-ca.pem'), 'hello');
  assert.throws(() => pulsarTlsConfig(join(dir, 'not-a-ca.pem'), true), /holds no PEM certificate/);
  assert.throws(() => pulsarTlsConfig(join(dir, 'absent.pem'), true), ConfigError);
  assert.deepEqual(pulsarTlsConfig(undefined, false), { verifyHostname: false });
});

/** A fake broker: `script` gets each frame a client sends and the socket to answer on. */
async function fakeBroker(script: (frame: Frame, socket: Socket) => void): Promise<{ port: number; sockets: Socket[]; close(): void }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    const decoder = new PulsarFrameDecoder();
    socket.on('data', (chunk) => { for (const f of decoder.push(chunk)) script(f, socket); });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    sockets,
    close: () => { for (const s of sockets) s.destroy(); server.close(); },
  };
}

const connected = encodeCommand({ type: CommandType.CONNECTED, connected: { serverVersion: 'fake', protocolVersion: 20 } });
// What a broker sends when a connection's token has expired (AuthData.REFRESH_AUTH_DATA, PIP-55).
const refreshChallenge = encodeCommand({
  type: CommandType.AUTH_CHALLENGE,
  authChallenge: { serverVersion: 'fake', protocolVersion: 20, challenge: { authMethodName: 'token', authData: Buffer.from('PulsarAuthRefresh') } },
});

test('an AUTH_CHALLENGE is answered with the token file read again, on the same connection', async () => {
  const file = join(dir, 'challenged.token');
  writeFileSync(file, 'old-token');
  const seen: Frame[] = [];
  let answered!: (f: Frame) => void;
  const response = new Promise<Frame>((resolve) => { answered = resolve; });
  const broker = await fakeBroker((f, socket) => {
    seen.push(f);
    if (f.command.type === CommandType.CONNECT) socket.write(connected);
    if (f.command.type === CommandType.AUTH_RESPONSE) answered(f);
  });
  const conn = await PulsarConnection.open({ host: '127.0.0.1', port: broker.port, auth: tokenAuthentication({ file }) });
  try {
    assert.equal(Buffer.from(seen[0]!.command.connect!.authData!).toString(), 'old-token');
    writeFileSync(file, 'new-token');
    const challenged = new Promise<string>((resolve) => conn.once('authChallenge', resolve));
    broker.sockets[0]!.write(refreshChallenge);
    const f = await response;
    assert.equal(f.command.authResponse!.response!.authMethodName, 'token');
    assert.equal(Buffer.from(f.command.authResponse!.response!.authData!).toString(), 'new-token');
    assert.equal(await challenged, 'token');
    assert.ok(conn.isOpen);
    assert.equal(broker.sockets.length, 1);
  } finally {
    conn.close();
    broker.close();
  }
});

test('an ERROR AuthenticationError instead of CONNECTED fails the open with an access error at once', async () => {
  const broker = await fakeBroker((f, socket) => {
    if (f.command.type === CommandType.CONNECT) socket.write(encodeCommand({ type: CommandType.ERROR, error: { requestId: -1, error: 3, message: 'Failed to authenticate' } }));
  });
  try {
    const started = Date.now();
    await assert.rejects(PulsarConnection.open({ host: '127.0.0.1', port: broker.port, auth: tokenAuthentication({ token: 'wrong' }) }),
      (err: Error) => err instanceof PulsarAccessError && err.message === `Pulsar at 127.0.0.1:${broker.port} refused the credentials: AuthenticationError: Failed to authenticate`);
    assert.ok(Date.now() - started < 2000);
  } finally {
    broker.close();
  }
});

test('a challenge to a client without credentials, or with an unreadable token file, ends the connection with an access error', async () => {
  const file = join(dir, 'vanishing.token');
  writeFileSync(file, 'token');
  const broker = await fakeBroker((f, socket) => {
    if (f.command.type === CommandType.CONNECT) socket.write(connected);
  });
  try {
    for (const auth of [undefined, tokenAuthentication({ file })]) {
      writeFileSync(file, 'token');
      const conn = await PulsarConnection.open({ host: '127.0.0.1', port: broker.port, auth });
      rmSync(file, { force: true });
      const closed = new Promise<Error | undefined>((resolve) => conn.once('close', resolve));
      broker.sockets.at(-1)!.write(refreshChallenge);
      assert.ok((await closed) instanceof PulsarAccessError);
      assert.equal(conn.isOpen, false);
    }
  } finally {
    broker.close();
  }
});
