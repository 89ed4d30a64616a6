import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, startGateway } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';

const rop = (...args: string[]) => spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 20_000 });

test('--help lists every option with its default and exits 0', () => {
  const r = rop('--help');
  assert.equal(r.status, 0);
  for (const option of ['--host', '--port', '--advertised-address', '--data-dir', '--store', '--log-level', '--max-frame-size', '--no-auto-create-topics', '--default-queues', '--flush']) {
    assert.ok(r.stdout.includes(option), `${option} is listed`);
  }
  for (const dflt of ['"127.0.0.1"', '9876', '"./data"', '"embedded"', '"info"', '16777216', 'default: 4', '"async"']) {
    assert.ok(r.stdout.includes(dflt), `default ${dflt} is shown`);
  }
});

test('unknown or invalid options give a one-line error and exit 2', () => {
  for (const args of [['--bogus'], ['--port', 'abc'], ['--store', 'nosuch'], ['--flush', 'sometimes'], ['--log-level', 'loud']]) {
    const r = rop(...args);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^error: /);
  }
});

test('the gRPC TLS certificate and key go together and must be readable: one clear line and exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rop-tls-flags-'));
  try {
    const pem = join(dir, 'not-a-cert.pem');
    writeFileSync(pem, 'not PEM\n');
    const cases: Array<[string[], RegExp]> = [
      [['--grpc-tls-cert', pem], /--grpc-tls-cert and --grpc-tls-key go together.*only --grpc-tls-cert/],
      [['--grpc-tls-key', pem], /--grpc-tls-cert and --grpc-tls-key go together.*only --grpc-tls-key/],
      [['--grpc-tls-cert', join(dir, 'missing.pem'), '--grpc-tls-key', pem], /cannot read the gRPC TLS certificate .*missing\.pem/],
      [['--grpc-tls-cert', pem, '--grpc-tls-key', pem], /not a usable PEM pair/],
    ];
    for (const [args, expected] of cases) {
      const r = rop('--port', '0', '--http-port', '0', '--data-dir', dir, ...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, expected);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} shuts down cleanly: the store is flushed, connections closed, exit code 0`, { timeout: 30_000 }, async () => {
    const gw = await startGateway();
    const probe = await RemotingProbe.connect(gw.address);
    await probe.invoke(17, { topic: 'CliTopic', readQueueNums: '2', writeQueueNums: '2', perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false' });
    await probe.invoke(15, { consumerGroup: 'CliGroup', topic: 'CliTopic', queueId: '1', commitOffset: '7' });
    gw.child.kill(signal);
    const code = await gw.stop();
    await probe.closed();
    assert.equal(code, 0);
    assert.ok(gw.logs.some((l) => l.msg === 'rop stopped'));
    const again = await startGateway({ dataDir: gw.dataDir });
    const probe2 = await RemotingProbe.connect(again.address);
    assert.equal(await probe2.committedOffset('CliGroup', 'CliTopic', 1), 7, 'state written before the signal is there after a restart');
    probe2.close();
    await again.stop();
    rmSync(gw.dataDir, { recursive: true, force: true });
  });
}

test('settings merge flags over ROP_* env vars over the --config file, and --print-config shows each with its source', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rop-config-'));
  try {
    const yamlPath = join(dir, 'rop.yaml');
    writeFileSync(yamlPath, 'port: 9999\nhttpPort: 0\nstore: pulsar\nautoCreateTopics: false\ndefaultQueues: 8\n');
    const r = spawnSync(process.execPath, [cliPath, '--config', yamlPath, '--default-queues', '2', '--print-config'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, ROP_PORT: '7777', ROP_AUTO_CREATE_TOPICS: 'true' },
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = new Map(r.stdout.split('\n').filter((l) => !l.startsWith('#') && l).map((l) => [l.split(':')[0], l]));
    assert.equal(lines.get('port'), 'port: 7777  # env ROP_PORT');
    assert.equal(lines.get('autoCreateTopics'), 'autoCreateTopics: true  # env ROP_AUTO_CREATE_TOPICS');
    assert.equal(lines.get('defaultQueues'), 'defaultQueues: 2  # cli');
    assert.equal(lines.get('store'), 'store: "pulsar"  # config');
    assert.equal(lines.get('httpPort'), 'httpPort: 0  # config');
    assert.equal(lines.get('host'), 'host: "127.0.0.1"  # default');

    // What --print-config prints is a config file that gives the same settings back.
    const jsonPath = join(dir, 'rop.json');
    writeFileSync(jsonPath, JSON.stringify({ flush: 'sync', retentionHours: 5 }));
    const printed = join(dir, 'printed.yaml');
    writeFileSync(printed, rop('--config', jsonPath, '--print-config').stdout);
    const again = rop('--config', printed, '--print-config').stdout;
    assert.match(again, /^flush: "sync"  # config$/m);
    assert.match(again, /^retentionHours: 5  # config$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Pulsar security settings: the token comes from flag, ROP_* or file and --print-config hides it; bad ones give one line and exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rop-pulsar-access-'));
  try {
    const tokenFile = join(dir, 'pulsar.token');
    writeFileSync(tokenFile, 'file.secret.token\n');
    const printed = spawnSync(process.execPath, [cliPath, '--pulsar-url', 'pulsar+ssl://127.0.0.1:6651', '--pulsar-admin-url', 'https://127.0.0.1:8443', '--no-pulsar-tls-hostname-verification', '--print-config'], {
      encoding: 'utf8', timeout: 20_000, env: { ...process.env, ROP_PULSAR_AUTH_TOKEN: 'env.secret.token' },
    });
    assert.equal(printed.status, 0, printed.stderr);
    assert.doesNotMatch(printed.stdout, /secret/);
    assert.match(printed.stdout, /^# pulsarAuthToken: \(set, not shown\)  # env ROP_PULSAR_AUTH_TOKEN$/m);
    assert.match(printed.stdout, /^pulsarTlsHostnameVerification: false  # cli$/m);
    assert.match(printed.stdout, /^pulsarUrl: "pulsar\+ssl:\/\/127\.0\.0\.1:6651"  # cli$/m);
    const notPem = join(dir, 'ca.pem');
    writeFileSync(notPem, 'not a certificate');
    const cases: Array<[string[], RegExp]> = [
      [['--pulsar-auth-token', 't', '--pulsar-auth-token-file', tokenFile], /--pulsar-auth-token and --pulsar-auth-token-file exclude each other/],
      [['--pulsar-auth-token-file', join(dir, 'absent.token')], /cannot read the Pulsar token file .*absent\.token/],
      [['--pulsar-tls-ca', notPem], /--pulsar-tls-ca: .*ca\.pem holds no PEM certificate/],
      [['--pulsar-url', 'pulsar+tls://h:1'], /expected pulsar:\/\/host:port or pulsar\+ssl:\/\/host:port/],
    ];
    for (const [args, expected] of cases) {
      const r = rop(...args, '--print-config');
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, expected);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad settings in the config file or environment give one clear line and exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rop-config-'));
  try {
    const cases: Array<[string, string, NodeJS.ProcessEnv, RegExp]> = [
      ['bad.yaml', 'bogus: 1\n', {}, /unknown setting bogus/],
      ['range.json', '{"port": 70000}', {}, /range\.json: port: expected a number from 0 to 65535/],
      ['list.yaml', 'port: [1]\n', {}, /expected a single value for port/],
      ['broken.json', '{"port": ', {}, /is not valid JSON/],
      ['choice.yaml', 'store: cassandra\n', {}, /store/],
      ['ok.yaml', 'port: 1\n', { ROP_HTTP_PORT: 'eighty' }, /ROP_HTTP_PORT: expected a whole number/],
      ['ok2.yaml', 'port: 1\n', { ROP_AUTO_CREATE_TOPICS: 'maybe' }, /ROP_AUTO_CREATE_TOPICS: expected true or false/],
    ];
    for (const [name, content, env, expected] of cases) {
      const path = join(dir, name);
      writeFileSync(path, content);
      const r = spawnSync(process.execPath, [cliPath, '--config', path, '--print-config'], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...env } });
      assert.equal(r.status, 2, `${name}: ${r.stdout}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, expected);
    }
    assert.match(rop('--config', join(dir, 'missing.yaml')).stderr, /cannot read config file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
