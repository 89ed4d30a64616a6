import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PulsarClient } from '../../src/pulsar/pulsar-client.js';
import { PulsarProducer } from '../../src/pulsar/producer.js';
import { PulsarConsumer } from '../../src/pulsar/consumer.js';
import { PulsarAdmin } from '../../src/pulsar/admin.js';
import { PulsarAccessError } from '../../src/pulsar/errors.js';
import { tokenAuthentication } from '../../src/pulsar/auth.js';
import { uniqueSuffix } from '../support/pulsar.js';
import { adminTokenFile, ca, epochSeconds, secureAdminUrl, secureServiceUrl, signToken, SUPERUSER } from '../support/pulsar-secure.js';

// Our Pulsar client against the secured standalone (node scripts/pulsar.mjs start --secure): TLS with a CA of
// our own, token authentication with HS256 tokens, and token expiry checked every 2 s (authenticationRefreshCheckSeconds).
const tls = { ca: ca(), verifyHostname: true };
const auth = tokenAuthentication({ file: adminTokenFile });
const admin = new PulsarAdmin(secureAdminUrl, { tls, auth });
const namespace = `rocketmq/secure-${uniqueSuffix()}`;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rop-secure-client-'));
  await admin.ensureTenant('rocketmq');
  await admin.ensureNamespace(namespace);
});

after(async () => {
  await admin.deleteNamespace(namespace, true).catch(() => undefined);
  admin.close();
  rmSync(dir, { recursive: true, force: true });
});

test('admin REST over https: the token is sent as a bearer token; none, a wrong one or an untrusted certificate is refused', async () => {
  assert.deepEqual(await admin.clusters(), ['standalone']);
  assert.ok((await admin.namespaces('rocketmq')).includes(namespace));
  const anonymous = new PulsarAdmin(secureAdminUrl, { tls });
  const forged = new PulsarAdmin(secureAdminUrl, { tls, auth: tokenAuthentication({ token: signToken({ sub: SUPERUSER }, randomBytes(32)) }) });
  const untrusting = new PulsarAdmin(secureAdminUrl, { auth });
  try {
    await assert.rejects(anonymous.clusters(), (err: Error) => err instanceof PulsarAccessError && /HTTP 401/.test(err.message));
    await assert.rejects(forged.clusters(), (err: Error) => err instanceof PulsarAccessError && /HTTP 401/.test(err.message));
    await assert.rejects(untrusting.clusters(), (err: Error) => err instanceof PulsarAccessError && /certificate/.test(err.message));
  } finally {
    for (const a of [anonymous, forged, untrusting]) a.close();
  }
});

test('pulsar+ssl with a token: lookup goes to the TLS address, and messages go through', { timeout: 60_000 }, async () => {
  const client = new PulsarClient({ serviceUrl: secureServiceUrl, tls, auth });
  try {
    const topic = `persistent://${namespace}/OverTls`;
    const producer = await PulsarProducer.create(client, topic);
    const reader = await PulsarConsumer.subscribe(client, topic, { subscription: 'reader', durable: false, startMessageId: 'earliest' });
    for (let i = 0; i < 10; i++) await producer.send({ payload: Buffer.from(`tls-${i}`) });
    const got = [];
    while (got.length < 10) {
      const batch = await reader.receive(10 - got.length, 5000);
      assert.ok(batch.length > 0, `only ${got.length} of 10 messages arrived`);
      got.push(...batch);
    }
    assert.deepEqual(got.map((m) => m.payload.toString()), Array.from({ length: 10 }, (_, i) => `tls-${i}`));
    await Promise.all([producer.close(), reader.close()]);
  } finally {
    await client.close();
  }
});

test('a wrong token is refused at CONNECT with an access error, at once', async () => {
  const client = new PulsarClient({ serviceUrl: secureServiceUrl, tls, auth: tokenAuthentication({ token: signToken({ sub: SUPERUSER }, randomBytes(32)) }) });
  const started = Date.now();
  try {
    await assert.rejects(client.connection(), (err: Error) => err instanceof PulsarAccessError && /refused the credentials: AuthenticationError/.test(err.message));
    assert.ok(Date.now() - started < 5000, `refused after ${Date.now() - started} ms`);
  } finally {
    await client.close();
  }
});

test('pulsar+ssl against a certificate signed by a CA not trusted is refused as an access error, not retried', async () => {
  const client = new PulsarClient({ serviceUrl: secureServiceUrl, tls: { verifyHostname: true }, auth });
  try {
    await assert.rejects(client.connection(), (err: Error) => err instanceof PulsarAccessError && /refused its certificate/.test(err.message));
  } finally {
    await client.close();
  }
});

test('an expiring token is refreshed through the auth challenge: the token file is read again, the connection stays', { timeout: 90_000 }, async () => {
  const tokenFile = join(dir, 'rotating.token');
  const lifetimeMs = 6000;
  writeFileSync(tokenFile, signToken({ sub: SUPERUSER, exp: epochSeconds(Date.now() + lifetimeMs) }));
  const client = new PulsarClient({ serviceUrl: secureServiceUrl, tls, auth: tokenAuthentication({ file: tokenFile }) });
  try {
    const producer = await PulsarProducer.create(client, `persistent://${namespace}/Rotating`);
    await producer.send({ payload: Buffer.from('before expiry') });
    // Rotated as a token refresher would, before the first one expires; the broker asks once it has.
    writeFileSync(tokenFile, signToken({ sub: SUPERUSER, exp: epochSeconds(Date.now() + 3_600_000) }));
    const deadline = Date.now() + lifetimeMs + 30_000;
    while (client.connectionStats.authChallenges === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    assert.ok(client.connectionStats.authChallenges >= 1, 'the broker challenged the expired token');
    // Give a refused answer time to close the connection before checking it stayed.
    await new Promise((r) => setTimeout(r, 3000));
    await producer.send({ payload: Buffer.from('after expiry') });
    const stats = client.connectionStats;
    assert.equal(stats.opened, 1, `one connection throughout, no reconnect (${JSON.stringify(stats)})`);
    assert.equal(stats.open, 1);
    await producer.close();
  } finally {
    await client.close();
  }
});

test('an expired token that nobody rotated: the challenge is answered with it, and the broker drops the connection', { timeout: 90_000 }, async () => {
  const tokenFile = join(dir, 'stale.token');
  writeFileSync(tokenFile, signToken({ sub: SUPERUSER, exp: epochSeconds(Date.now() + 4000) }));
  const client = new PulsarClient({ serviceUrl: secureServiceUrl, tls, auth: tokenAuthentication({ file: tokenFile }) });
  try {
    const conn = await client.connection();
    const closed = new Promise<void>((resolve) => conn.once('close', () => resolve()));
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000).unref());
    assert.notEqual(await Promise.race([closed, timeout]), 'timeout', 'the broker closed the connection of the expired token');
    assert.ok(client.connectionStats.authChallenges >= 1, 'it was challenged first');
    await assert.rejects(client.connection(), PulsarAccessError, 'a new connection with the expired token is refused');
  } finally {
    await client.close();
  }
});
