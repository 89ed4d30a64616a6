import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as connectHttp2, type Settings } from 'node:http2';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { parseMetrics, sum } from '../support/prometheus.js';
import { eventually, openFds, openProbes, wait, type Probe } from '../support/process-stats.js';
import { MAX_CONCURRENT_STREAMS } from '../../src/grpc/grpc-server.js';

// Idle clients cost the gateway descriptors until it closes them; past --max-connections they are closed at once,
// and the admin port (not counted) keeps answering.

const portOf = (address: string): number => Number(address.slice(address.lastIndexOf(':') + 1));

async function metrics(gw: GatewayProcess) {
  const res = await fetch(`${gw.httpUrl!}/metrics`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  return parseMetrics(await res.text());
}

/** Asks /healthz every 100 ms until stopped; resolves with each answer's status and time. */
function watchHealth(gw: GatewayProcess): { stop(): Promise<Array<{ status: number; ms: number }>> } {
  const answers: Array<{ status: number; ms: number }> = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      const status = await fetch(`${gw.httpUrl!}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status, () => 0);
      answers.push({ status, ms: Date.now() - started });
      await wait(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return answers;
    },
  };
}

const closeAll = (probes: Probe[]): void => probes.forEach((p) => p.socket.destroy());

test('2,000 idle connections, remoting and gRPC, are closed after --client-idle-timeout, quietly, and their descriptors freed', { timeout: 90_000 }, async () => {
  const gw = await startGateway({ http: true, grpc: true, args: ['--client-idle-timeout', '2'] });
  const probes: Probe[] = [];
  try {
    const pid = gw.child.pid!;
    const fdsBefore = openFds(pid);
    probes.push(...await openProbes(gw.port, 1800));
    probes.push(...await openProbes(portOf(gw.grpcAddress!), 200));
    const openedBy = Date.now();
    // The last ones may still wait in the listen backlog for a moment.
    assert.ok(await eventually(() => openFds(pid) >= fdsBefore + 1950, 1500), `the gateway holds the connections: ${fdsBefore} → ${openFds(pid)} descriptors`);
    const stillOpenEarly = probes.filter((p) => p.closedAt === undefined).length;
    assert.ok(await eventually(() => probes.every((p) => p.closedAt !== undefined), 15_000), `${probes.filter((p) => p.closedAt === undefined).length} still open 15 s after opening`);
    const lifetimes = probes.map((p) => p.closedAt! - p.openedAt);
    assert.ok(stillOpenEarly >= 1900, `open while younger than the timeout (${stillOpenEarly})`);
    assert.ok(Math.min(...lifetimes) >= 1900, `none closed before 2 s (shortest ${Math.min(...lifetimes)} ms)`);
    assert.ok(Math.max(...probes.map((p) => p.closedAt!)) - openedBy < 8000, 'all closed within a few seconds of the timeout');
    assert.ok(await eventually(() => openFds(pid) <= fdsBefore + 20, 5000), `descriptors back: ${openFds(pid)} (before ${fdsBefore})`);
    const samples = await metrics(gw);
    assert.equal(sum(samples, 'rop_connections_expired_total', { reason: 'idle' }), 1800, 'each remoting one counted as closed idle');
    assert.equal(sum(samples, 'rop_client_connections'), 0);
    const warned = gw.logs.filter((l) => (l.level as number) >= 40);
    assert.deepEqual(warned, [], 'idle clients are closed without a warning each');
  } finally {
    closeAll(probes);
    await gw.stop();
    gw.cleanup();
  }
});

test('with --max-connections 500 the 501st connection, on either port, is closed at once with one warn line, and /healthz answers all along', { timeout: 90_000 }, async () => {
  const gw = await startGateway({ http: true, grpc: true, args: ['--max-connections', '500', '--client-idle-timeout', '60'] });
  const kept: Probe[] = [];
  const over: Probe[] = [];
  const health = watchHealth(gw);
  try {
    kept.push(...await openProbes(gw.port, 400));
    kept.push(...await openProbes(portOf(gw.grpcAddress!), 100));
    await wait(300);
    assert.equal(kept.filter((p) => p.closedAt !== undefined).length, 0, 'the first 500 are kept');
    over.push(...await openProbes(gw.port, 150));
    over.push(...await openProbes(portOf(gw.grpcAddress!), 50));
    assert.ok(await eventually(() => over.every((p) => p.closedAt !== undefined), 5000), 'every connection over the limit closed');
    const slowest = Math.max(...over.map((p) => p.closedAt! - p.openedAt));
    assert.ok(slowest < 1000, `closed at once (slowest after ${slowest} ms)`);
    await wait(300);
    assert.equal(kept.filter((p) => p.closedAt !== undefined).length, 0, 'those under the limit still open');
    // A client gets in again once places free up.
    closeAll(kept.splice(0, 10));
    assert.ok(await eventually(async () => sum(await metrics(gw), 'rop_client_connections') <= 490, 5000), 'the closed ones uncounted');
    const probe = await RemotingProbe.connect(gw.address);
    try {
      assert.equal((await probe.invoke(105, { topic: 'AfterTheFlood' })).code, 0, 'a request answered on a freed place');
    } finally {
      probe.close();
    }
    const samples = await metrics(gw);
    assert.equal(sum(samples, 'rop_connections_refused_total'), 200);
    assert.equal(sum(samples, 'rop_connections_refused_total', { protocol: 'grpc' }), 50);
    const refusedLines = gw.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('connection refused'));
    assert.equal(refusedLines.length, 1, 'one line for the burst');
    assert.equal(refusedLines[0]!.maxConnections, 500);
    assert.equal(refusedLines[0]!.level, 40);
    const answers = await health.stop();
    assert.ok(answers.length >= 5, `${answers.length} health checks`);
    assert.deepEqual(answers.filter((a) => a.status !== 200), [], '/healthz answered 200 every time');
    assert.ok(Math.max(...answers.map((a) => a.ms)) < 1000, `within a second (slowest ${Math.max(...answers.map((a) => a.ms))} ms)`);
  } finally {
    await health.stop();
    closeAll(kept);
    closeAll(over);
    await gw.stop();
    gw.cleanup();
  }
});

test('the gRPC port announces its limit of concurrent streams per connection', { timeout: 30_000 }, async () => {
  const gw = await startGateway({ grpc: true });
  const session = connectHttp2(`http://${gw.grpcAddress!}`);
  try {
    const settings = await new Promise<Settings>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no SETTINGS from the gRPC port within 5 s')), 5000);
      session.once('remoteSettings', (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      session.once('error', reject);
    });
    assert.equal(settings.maxConcurrentStreams, MAX_CONCURRENT_STREAMS);
  } finally {
    session.destroy();
    await gw.stop();
    gw.cleanup();
  }
});
