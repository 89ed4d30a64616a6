import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
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
