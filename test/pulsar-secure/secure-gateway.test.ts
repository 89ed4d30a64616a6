import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { cliPath, startGateway } from '../support/gateway.js';
import { ALI_ONS_INTERVAL_MS, aliConsumer, aliMessage, aliProducer, closeAli, closeAliOnsInnerProducer, type AliMessage } from '../support/ali-ons.js';
import { PulsarAdmin } from '../../src/pulsar/admin.js';
import { tokenAuthentication } from '../../src/pulsar/auth.js';
import { uniqueSuffix } from '../support/pulsar.js';
import { adminTokenFile, ca, caFile, epochSeconds, secureAdminUrl, secureServiceUrl, signToken, SUPERUSER } from '../support/pulsar-secure.js';
import { parseMetrics, sum, type Sample } from '../support/prometheus.js';

// The gateway on the Pulsar store of the secured standalone (node scripts/pulsar.mjs start --secure): its binary
// protocol client over pulsar+ssl:// and its admin calls over https://, with a token, carrying ali-ons traffic;
// the token expires while it runs (the broker checks every 2 s) and is rotated in its file beforehand.
const dirs: string[] = [];
const tempDir = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
const admin = new PulsarAdmin(secureAdminUrl, { tls: { ca: ca(), verifyHostname: true }, auth: tokenAuthentication({ file: adminTokenFile }) });

const secureArgs = (namespace: string, token: string[]): string[] => [
  '--store', 'pulsar',
  '--pulsar-url', secureServiceUrl,
  '--pulsar-admin-url', secureAdminUrl,
  '--pulsar-tls-ca', caFile,
  ...token,
  '--pulsar-namespace', namespace,
  '--pulsar-system-namespace', `rocketmq/${namespace}-sys`,
];

after(async () => {
  await closeAliOnsInnerProducer();
  admin.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function metrics(httpUrl: string): Promise<Sample[]> {
  return parseMetrics(await (await fetch(`${httpUrl}/metrics`)).text());
}

test('the gateway stores in a TLS- and token-secured Pulsar, and keeps its connections when its token expires and is rotated', { timeout: 180_000 }, async () => {
  const namespace = `secure-${uniqueSuffix()}`;
  const tokenFile = join(tempDir('rop-secure-token-'), 'gateway.token');
  const lifetimeMs = 15_000;
  const expiresAt = Date.now() + lifetimeMs;
  writeFileSync(tokenFile, signToken({ sub: SUPERUSER, exp: epochSeconds(expiresAt) }));
  const gw = await startGateway({ args: secureArgs(namespace, ['--pulsar-auth-token-file', tokenFile]), startTimeoutMs: lifetimeMs, http: true });
  // Rotated as a token refresher would, well before the first one expires.
  writeFileSync(tokenFile, signToken({ sub: SUPERUSER, exp: epochSeconds(Date.now() + 3_600_000) }));
  const clientDir = tempDir('rop-secure-ali-');
  const producer = aliProducer(gw.address, clientDir, { instanceName: 'secure-producer' });
  const consumer = aliConsumer(gw.address, clientDir, { consumerGroup: 'SecureGroup', instanceName: 'secure-consumer' });
  const got = new Set<string>();
  const sendAndReceive = async (round: string): Promise<void> => {
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await producer.send(aliMessage('SecureTopic', 'TagA', `${round}-${i}`, [`key-${i}`]));
      assert.equal(r.sendStatus, 'SEND_OK');
      sent.push(`${round}-${i}`);
    }
    const deadline = Date.now() + 60_000;
    while (!sent.every((b) => got.has(b)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(sent.filter((b) => !got.has(b)), [], `every ${round} message consumed`);
  };
  try {
    await producer.ready();
    consumer.subscribe('SecureTopic', '*', async (m: AliMessage) => { got.add(m.body.toString()); });
    await consumer.ready();
    await sendAndReceive('before-expiry');
    const before = await metrics(gw.httpUrl!);
    const deadline = expiresAt + 30_000;
    while (sum(await metrics(gw.httpUrl!), 'rop_pulsar_auth_refreshes') === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    const after = await metrics(gw.httpUrl!);
    assert.ok(sum(after, 'rop_pulsar_auth_refreshes') >= 1, 'the broker challenged the expired token and the gateway answered');
    await sendAndReceive('after-expiry');
    const end = await metrics(gw.httpUrl!);
    assert.equal(sum(end, 'rop_pulsar_connections_opened'), sum(before, 'rop_pulsar_connections_opened'), 'no connection was lost and reopened');
    assert.equal(sum(end, 'rop_pulsar_connect_failures'), 0);
    const namespaces = await admin.namespaces('rocketmq');
    assert.ok(namespaces.includes(`rocketmq/${namespace}`) && namespaces.includes(`rocketmq/${namespace}-sys`), 'the gateway made its namespaces');
    assert.ok((await admin.topics(`rocketmq/${namespace}`)).includes(`persistent://rocketmq/${namespace}/SecureTopic`));
  } finally {
    await closeAli(consumer);
    await closeAli(producer);
    await closeAliOnsInnerProducer();
    // A closed ali-ons client's loops end after their current sleep: the gateway stays up until they have.
    await new Promise((r) => setTimeout(r, 3 * ALI_ONS_INTERVAL_MS));
    assert.equal(await gw.stop(), 0);
    gw.cleanup();
    for (const ns of [namespace, `${namespace}-sys`]) await admin.deleteNamespace(`rocketmq/${ns}`, true).catch(() => undefined);
  }
});

/** Runs the CLI to its end (it must end by itself within `timeoutMs`) and returns its exit code and output. */
function runCli(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [cliPath, '--host', '127.0.0.1', '--port', '0', '--http-port', '0', '--grpc-port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`rop still running after ${timeoutMs} ms; stderr: ${stderr}`)); }, timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr, ms: Date.now() - started }); });
  });
}

function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

test('a wrong token fails the start with one clear line and a non-zero exit, without waiting', { timeout: 60_000 }, async () => {
  const forged = signToken({ sub: SUPERUSER }, randomBytes(32));
  const r = await runCli(secureArgs(`secure-${uniqueSuffix()}`, ['--pulsar-auth-token', forged]), 30_000);
  assert.equal(r.code, 1);
  assertOneLine(r.stderr, /^error: rop failed to start: Pulsar admin at 127\.0\.0\.1:\d+ refused the credentials: .*HTTP 401/);
  assert.ok(r.ms < 20_000, `failed after ${r.ms} ms`);
  assert.doesNotMatch(r.stdout + r.stderr, new RegExp(forged.split('.')[2]!), 'the token is not printed');
});

test('an untrusted certificate fails the start with one line naming it', { timeout: 60_000 }, async () => {
  const args = secureArgs(`secure-${uniqueSuffix()}`, ['--pulsar-auth-token-file', adminTokenFile]).filter((a) => a !== '--pulsar-tls-ca' && a !== caFile);
  const r = await runCli(args, 30_000);
  assert.equal(r.code, 1);
  assertOneLine(r.stderr, /^error: rop failed to start: TLS connection to Pulsar admin at 127\.0\.0\.1:\d+ refused its certificate/);
});
