import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { parseMetrics, sum } from '../support/prometheus.js';
import { MiB, eventually, openProbes, rssBytes, wait, type Probe } from '../support/process-stats.js';

// Clients that start a large frame and never finish it: each costs the gateway what it sent, until the frame
// deadline closes it and the memory is given back.
//
// The start is measured after a smaller round of the same (WARM_UP connections): the memory allocator keeps a few
// tens of MB of the socket reads' churn as free space of the process for the next burst to reuse. What is measured is
// that 40 abandoned frames (600 MiB) leave nothing of their own behind.

const CONNECTIONS = 40;
const FRAME = 16 * MiB;
const SENT = 15 * MiB;
const FRAME_TIMEOUT_MS = 2000;
const WARM_UP = 8;

/** Opens `count` connections that each start a frame; resolves once all are closed, with when each frame was sent. */
async function abandonFrames(port: number, count: number): Promise<{ probes: Probe[]; firstByteAt: number; sentAt: number[]; closed: boolean }> {
  const probes = await openProbes(port, count, count);
  const firstByteAt = Date.now();
  const sentAt = await Promise.all(probes.map((p) => startFrame(p)));
  const closed = await eventually(() => probes.every((p) => p.closedAt !== undefined), FRAME_TIMEOUT_MS + 10_000);
  return { probes, firstByteAt, sentAt, closed };
}

/** Writes the first `SENT` bytes of a `FRAME`-byte frame; resolves once the kernel has taken them all. */
function startFrame(probe: Probe): Promise<number> {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(FRAME);
  const chunk = Buffer.alloc(MiB, 0x20);
  return new Promise((resolve) => {
    probe.socket.write(head);
    for (let i = 0; i < SENT / MiB - 1; i++) probe.socket.write(chunk);
    probe.socket.write(chunk, () => resolve(Date.now()));
    probe.socket.once('close', () => resolve(Date.now()));
  });
}

test('40 connections each 15 MiB into a 16 MiB frame are closed at the frame deadline, and the memory is given back', { timeout: 120_000 }, async (t) => {
  const gw = await startGateway({ http: true, args: ['--frame-timeout-ms', String(FRAME_TIMEOUT_MS), '--max-frame-size', String(FRAME)] });
  const probes: Probe[] = [];
  try {
    const pid = gw.child.pid!;
    const coldRss = rssBytes(pid);
    const warmUp = await abandonFrames(gw.port, WARM_UP);
    probes.push(...warmUp.probes);
    assert.ok(warmUp.closed, 'the warm-up connections closed');
    await wait(3000);
    const rssBefore = rssBytes(pid);
    t.diagnostic(`RSS cold ${(coldRss / MiB).toFixed(0)} MB, after ${WARM_UP} abandoned frames ${(rssBefore / MiB).toFixed(0)} MB`);
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 50);
    let round: Awaited<ReturnType<typeof abandonFrames>>;
    try {
      round = await abandonFrames(gw.port, CONNECTIONS);
    } finally {
      clearInterval(sampler);
    }
    probes.push(...round.probes);
    const { firstByteAt, sentAt } = round;
    assert.ok(round.closed, `${round.probes.filter((p) => p.closedAt === undefined).length} still open`);
    const earliest = Math.min(...round.probes.map((p) => p.closedAt! - firstByteAt));
    const latest = Math.max(...round.probes.map((p, i) => p.closedAt! - sentAt[i]!));
    t.diagnostic(`RSS ${(rssBefore / MiB).toFixed(0)} → peak ${(peak / MiB).toFixed(0)} MB; closed ${earliest} ms after the first byte at the earliest, ${latest} ms after the last byte at the latest`);
    assert.ok(peak - rssBefore > 100 * MiB, `the unfinished frames were held (peak ${(peak / MiB).toFixed(0)} MB)`);
    assert.ok(earliest >= FRAME_TIMEOUT_MS - 100, `none closed before the deadline (${earliest} ms)`);
    assert.ok(latest <= FRAME_TIMEOUT_MS + 2000, `each closed by the deadline after its frame began (${latest} ms after its last byte)`);

    const gaveBack = await eventually(() => rssBytes(pid) - rssBefore < 50 * MiB, 20_000);
    t.diagnostic(`RSS after: ${(rssBytes(pid) / MiB).toFixed(0)} MB`);
    assert.ok(gaveBack, `RSS back within 50 MB of ${(rssBefore / MiB).toFixed(0)} MB: ${(rssBytes(pid) / MiB).toFixed(0)} MB`);

    const lines = gw.logs.filter((l) => l.msg === 'closing connection: frame not complete in time');
    assert.equal(lines.length, WARM_UP + CONNECTIONS, 'one line per connection closed');
    assert.ok(lines.every((l) => l.level === 40 && l.err === undefined && l.frameTimeoutMs === FRAME_TIMEOUT_MS), 'warn lines without a stack');
    const samples = parseMetrics(await (await fetch(`${gw.httpUrl!}/metrics`, { signal: AbortSignal.timeout(5000) })).text());
    assert.equal(sum(samples, 'rop_connections_expired_total', { reason: 'frame_timeout' }), WARM_UP + CONNECTIONS);
    assert.equal(await RemotingProbe.routeCode(gw.address, 'StillServing'), 0, 'the gateway serves on');
  } finally {
    for (const p of probes) p.socket.destroy();
    await gw.stop();
    gw.cleanup();
  }
});
