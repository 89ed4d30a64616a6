import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, startGateway, type GatewayProcess } from '../support/gateway.js';
import { JavaHarness, deliveries, expectedMessage } from '../support/java-harness.js';
import { aliConsumer, aliMessage, aliProducer, closeAli, closeAliOnsInnerProducer, type AliMessage } from '../support/ali-ons.js';
import { makeTestCertificates } from '../support/tls-certificates.js';

// Apache RocketMQ's Java client 4.9.8 with TLS on: tls.enable turns it on for name server and broker connections
// alike, tls.test.mode.enable (TlsSystemConfig's default, given anyway) trusts any server certificate, as the
// self-signed one here needs.
const JAVA_TLS = ['-Dtls.enable=true', '-Dtls.test.mode.enable=true'];
const PLAINTEXT_REFUSED = 'closing connection: a plaintext client on a TLS-only port (--remoting-tls-mode enforcing)';

const certs = makeTestCertificates();
test.after(() => certs.remove());

async function tlsGateway(mode: 'permissive' | 'enforcing'): Promise<GatewayProcess> {
  const gw = await startGateway({ args: ['--remoting-tls-mode', mode, '--remoting-tls-cert', certs.server.certFile, '--remoting-tls-key', certs.server.keyFile] });
  assert.equal(gw.logs.find((l) => l.msg === 'rop listening')?.remotingTls, mode, 'the gateway says which mode it runs');
  return gw;
}

/** The Java client produces `count` messages, then a push consumer in a fresh group receives them all, byte for byte. */
async function javaRoundTrip(gw: GatewayProcess, topic: string, jvmArgs: string[]): Promise<void> {
  const count = 6;
  const sent = (await JavaHarness.run('produce', { namesrv: gw.address, topic, count, tags: 'TagA' }, 60_000, jvmArgs)).filter((e) => e.event === 'sent');
  assert.equal(sent.length, count, 'every send acknowledged');
  assert.ok(sent.every((e) => e.status === 'SEND_OK'));
  const consumer = JavaHarness.start('push-consume', { namesrv: gw.address, topic, group: `${topic}Group`, 'timeout-ms': 60_000 }, jvmArgs);
  try {
    await consumer.waitFor((e) => deliveries(e).length >= count, 45_000, `${count} messages`);
  } finally {
    await consumer.stop();
  }
  const got = deliveries(consumer.events);
  assert.deepEqual(new Set(got.map((m) => m.msgId)), new Set(sent.map((s) => s.msgId)), 'the messages sent, each once');
  for (const m of got) {
    const i = Number((m.props as Record<string, string>).idx);
    assert.equal(m.bodyBase64, expectedMessage(i, ['TagA']).body.toString('base64'), `body of message ${i}`);
  }
}

test('enforcing: the Java client over TLS produces and consumes; a plaintext one is refused, logged, and the gateway serves on', { timeout: 180_000 }, async (t) => {
  const gw = await tlsGateway('enforcing');
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });
  await javaRoundTrip(gw, 'TlsEnforcing', JAVA_TLS);

  const plain = JavaHarness.start('produce', { namesrv: gw.address, topic: 'TlsEnforcingPlain', count: 1, 'send-timeout-ms': 5000 });
  const code = await plain.exited;
  assert.notEqual(code, 0, 'the plaintext send fails');
  assert.ok(!plain.of('sent').length, 'nothing was sent');
  assert.ok(plain.of('error').length > 0 || plain.stderr.join('').length > 0, `the client reports why: ${plain.describe()}`);
  const refused = gw.logs.filter((l) => l.msg === PLAINTEXT_REFUSED);
  assert.ok(refused.length >= 1, 'the gateway logs the refused connection');
  assert.ok(refused.every((l) => typeof l.remote === 'string'), 'naming the client');

  assert.equal(gw.child.exitCode, null, 'the gateway is still running');
  const again = (await JavaHarness.run('produce', { namesrv: gw.address, topic: 'TlsEnforcing', count: 2 }, 60_000, JAVA_TLS)).filter((e) => e.event === 'sent');
  assert.equal(again.length, 2, 'TLS clients are still served after the refusal');
});

test('permissive: the Java client with and without TLS, and ali-ons (plaintext), all produce and consume on one port', { timeout: 240_000 }, async (t) => {
  const gw = await tlsGateway('permissive');
  const clientDir = mkdtempSync(join(tmpdir(), 'rop-tls-ali-'));
  t.after(async () => {
    await closeAliOnsInnerProducer();
    await gw.stop();
    gw.cleanup();
    rmSync(clientDir, { recursive: true, force: true });
  });
  await javaRoundTrip(gw, 'TlsPermissiveTls', JAVA_TLS);
  await javaRoundTrip(gw, 'TlsPermissivePlain', []);

  const topic = 'TlsPermissiveAli';
  const producer = aliProducer(gw.address, clientDir, { instanceName: 'tls-ali-producer' });
  const got: AliMessage[] = [];
  const consumer = aliConsumer(gw.address, clientDir, { consumerGroup: 'TlsPermissiveAliGroup', instanceName: 'tls-ali-consumer' });
  try {
    await producer.ready();
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await producer.send(aliMessage(topic, 'TagA', `ali-tls-${i}`)));
    assert.ok(results.every((r) => r.sendStatus === 'SEND_OK'), 'ali-ons sends over plaintext');
    consumer.subscribe(topic, '*', async (m) => { got.push(m); });
    await consumer.ready();
    const end = Date.now() + 45_000;
    while (got.length < 5 && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(got.map((m) => m.body.toString()).sort(), [0, 1, 2, 3, 4].map((i) => `ali-tls-${i}`), 'ali-ons receives what it sent');
  } finally {
    await closeAli(consumer);
    await closeAli(producer);
  }
  assert.equal(gw.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('closing connection')).length, 0, 'no connection was refused');
});

test('client certificates required: the Java client showing one the CA signed is served, one showing none is refused', { timeout: 120_000 }, async (t) => {
  const gw = await startGateway({ args: ['--remoting-tls-mode', 'enforcing', '--remoting-tls-cert', certs.server.certFile, '--remoting-tls-key', certs.server.keyFile, '--remoting-tls-client-auth', 'require', '--remoting-tls-client-ca', certs.ca.certFile] });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });
  // Out of test mode the client shows tls.client.certPath/keyPath; tls.client.authServer=false still trusts any server.
  const withCertificate = [
    '-Dtls.enable=true', '-Dtls.test.mode.enable=false', '-Dtls.client.authServer=false',
    `-Dtls.client.certPath=${certs.trustedClient.certFile}`, `-Dtls.client.keyPath=${certs.trustedClient.keyFile}`,
  ];
  const sent = (await JavaHarness.run('produce', { namesrv: gw.address, topic: 'TlsClientAuth', count: 3 }, 60_000, withCertificate)).filter((e) => e.event === 'sent');
  assert.equal(sent.length, 3, 'sent with a trusted client certificate');

  const anonymous = JavaHarness.start('produce', { namesrv: gw.address, topic: 'TlsClientAuth', count: 1, 'send-timeout-ms': 5000 }, JAVA_TLS);
  assert.notEqual(await anonymous.exited, 0, 'without a client certificate the send fails');
  assert.equal(anonymous.of('sent').length, 0);
  const refused = gw.logs.filter((l) => l.msg === 'closing connection: client certificate refused');
  assert.ok(refused.length >= 1 && refused.every((l) => l.error === 'no client certificate'), JSON.stringify(refused));
});

test('the remoting TLS settings are checked together at start: one clear line and exit 2; env and config file work as flags', () => {
  const { server, ca } = certs;
  const rop = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [cliPath, '--port', '0', '--http-port', '0', '--grpc-port', '0', '--data-dir', certs.dir, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...env } });
  const tlsArgs = ['--remoting-tls-cert', server.certFile, '--remoting-tls-key', server.keyFile];
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['--remoting-tls-mode', 'permissive'], {}, /--remoting-tls-mode permissive needs --remoting-tls-cert and --remoting-tls-key/],
    [['--remoting-tls-mode', 'enforcing', '--remoting-tls-cert', server.certFile], {}, /needs --remoting-tls-cert and --remoting-tls-key .*only --remoting-tls-cert given/],
    [tlsArgs, {}, /--remoting-tls-cert, --remoting-tls-key given but --remoting-tls-mode is disabled/],
    [['--remoting-tls-mode', 'sometimes'], {}, /argument 'sometimes' is invalid/],
    [[], { ROP_REMOTING_TLS_MODE: 'sometimes' }, /ROP_REMOTING_TLS_MODE/],
    [['--remoting-tls-mode', 'enforcing', '--remoting-tls-cert', join(certs.dir, 'missing.pem'), '--remoting-tls-key', server.keyFile], {}, /cannot read the remoting TLS certificate .*missing\.pem/],
    [['--remoting-tls-mode', 'enforcing', '--remoting-tls-cert', server.certFile, '--remoting-tls-key', server.certFile], {}, /not a usable PEM pair/],
    [['--remoting-tls-mode', 'enforcing', ...tlsArgs, '--remoting-tls-client-auth', 'require'], {}, /--remoting-tls-client-auth require needs --remoting-tls-client-ca/],
    [['--remoting-tls-mode', 'enforcing', ...tlsArgs, '--remoting-tls-client-ca', ca.certFile], {}, /--remoting-tls-client-ca is given but --remoting-tls-client-auth is none/],
    [['--remoting-tls-mode', 'enforcing', ...tlsArgs, '--remoting-tls-client-auth', 'optional', '--remoting-tls-client-ca', ca.keyFile], {}, /client CA .* holds no PEM certificate/],
  ];
  for (const [args, env, expected] of cases) {
    const r = rop(args, env);
    assert.equal(r.status, 2, `${args.join(' ')} ${JSON.stringify(env)}: ${r.stdout}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, expected);
  }
  const file = join(certs.dir, 'rop.yaml');
  writeFileSync(file, `remotingTlsMode: permissive\nremotingTlsCert: ${server.certFile}\nremotingTlsClientAuth: optional\nremotingTlsClientCa: ${ca.certFile}\n`);
  const printed = rop(['--config', file, '--print-config'], { ROP_REMOTING_TLS_KEY: server.keyFile });
  assert.equal(printed.status, 0, printed.stderr);
  assert.match(printed.stdout, /remotingTlsMode: "permissive" {2}# config/);
  assert.match(printed.stdout, /remotingTlsKey: ".*server-key\.pem" {2}# env ROP_REMOTING_TLS_KEY/);
  assert.match(printed.stdout, /remotingTlsClientAuth: "optional" {2}# config/);
});
