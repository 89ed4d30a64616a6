import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startGateway } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { eventually, openFds, openProbes, wait, type Probe } from '../support/process-stats.js';
import { connectionsWithin } from '../../src/net/connection-gate.js';

// At `ulimit -n 1024` the default --max-connections (10,000) cannot be held: the gateway lowers its limit to what
// the descriptors allow, so that idle clients cannot take the descriptors the admin server and the store need.

const FILE_LIMIT = 1024;
const havePrlimit = spawnSync('prlimit', ['--version']).status === 0;

test('under ulimit -n 1024, 1,100 idle connections leave the gateway descriptors to answer /healthz and serve', { timeout: 90_000, skip: !havePrlimit && 'needs prlimit (util-linux)' }, async (t) => {
  const gw = await startGateway({ http: true, wrapper: ['prlimit', `--nofile=${FILE_LIMIT}:${FILE_LIMIT}`] });
  let probes: Probe[] = [];
  try {
    const limit = connectionsWithin(FILE_LIMIT);
    const lowered = gw.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('the open-file limit (ulimit -n) cannot hold --max-connections'));
    assert.ok(lowered, 'the gateway says it lowered its connection limit');
    assert.deepEqual([lowered.openFileLimit, lowered.connections, lowered.level], [FILE_LIMIT, limit, 40]);

    probes = await openProbes(gw.port, 1100);
    await wait(1000);
    const kept = probes.filter((p) => p.closedAt === undefined).length;
    const fds = openFds(gw.child.pid!);
    t.diagnostic(`${kept} of 1100 idle connections kept (limit ${limit}); the gateway has ${fds} descriptors open of ${FILE_LIMIT}`);
    assert.equal(kept, limit, 'connections up to the lowered limit are kept, the rest refused');
    assert.ok(fds < FILE_LIMIT - 100, `descriptors to spare: ${fds} open`);

    for (let i = 0; i < 5; i++) {
      const health = await fetch(`${gw.httpUrl!}/healthz`, { signal: AbortSignal.timeout(2000) });
      assert.equal(health.status, 200, '/healthz answers');
    }
    // A client refused while the idle ones hold every place gets in once some leave.
    probes.filter((p) => p.closedAt === undefined).slice(0, 5).forEach((p) => p.socket.destroy());
    assert.ok(await eventually(() => openFds(gw.child.pid!) <= fds - 5, 5000), 'their descriptors released');
    assert.equal(await RemotingProbe.routeCode(gw.address, 'StillServing'), 0);
  } finally {
    for (const p of probes) p.socket.destroy();
    await gw.stop();
    gw.cleanup();
  }
});
