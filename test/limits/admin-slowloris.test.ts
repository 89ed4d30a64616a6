import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import { eventually, openFds, openProbes, wait, type Probe } from '../support/process-stats.js';
import { ADMIN_MAX_CONNECTIONS } from '../../src/admin/admin-http-server.js';

// Slowloris on the admin port: clients that open connections and send their request headers a byte at a time take
// at most the admin server's connection cap in descriptors, and each is closed by the headers timeout.

const SLOW_CLIENTS = 300;
/** the admin server's headers timeout (10 s) and the interval it is checked at (2 s), and slack */
const HEADERS_DEADLINE_MS = 10_000 + 2_000 + 3_000;

test('300 slowloris clients on the admin port hold at most its connection cap, each closed by the headers timeout', { timeout: 90_000 }, async (t) => {
  const gw = await startGateway({ http: true });
  const adminPort = Number(new URL(gw.httpUrl!).port);
  let probes: Probe[] = [];
  let drip: NodeJS.Timeout | undefined;
  try {
    const pid = gw.child.pid!;
    const fdsBefore = openFds(pid);
    probes = await openProbes(adminPort, SLOW_CLIENTS);
    for (const p of probes) p.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // A header line byte by byte, every half second, on every connection still open.
    drip = setInterval(() => {
      for (const p of probes) if (p.closedAt === undefined) p.socket.write('X');
    }, 500);
    await wait(1000);
    const held = probes.filter((p) => p.closedAt === undefined).length;
    const fdsHeld = openFds(pid);
    t.diagnostic(`${held} slow connections held, descriptors ${fdsBefore} → ${fdsHeld}`);
    assert.ok(held <= ADMIN_MAX_CONNECTIONS, `${held} held (cap ${ADMIN_MAX_CONNECTIONS})`);
    assert.ok(held >= ADMIN_MAX_CONNECTIONS / 2, `the cap is what holds them back, not a failure to connect (${held} held)`);
    assert.ok(fdsHeld <= fdsBefore + ADMIN_MAX_CONNECTIONS + 5, `descriptors ${fdsHeld} (before ${fdsBefore})`);
    assert.ok(await eventually(() => probes.every((p) => p.closedAt !== undefined), HEADERS_DEADLINE_MS), `${probes.filter((p) => p.closedAt === undefined).length} still open after the headers timeout`);
    const longest = Math.max(...probes.map((p) => p.closedAt! - p.openedAt));
    assert.ok(longest >= 9_000, `the slow ones were held until the headers timeout (longest ${longest} ms)`);
    clearInterval(drip);
    const health = await fetch(`${gw.httpUrl!}/healthz`, { signal: AbortSignal.timeout(2000) });
    assert.equal(health.status, 200, 'the admin server answers once they are gone');
    assert.ok(await eventually(() => openFds(pid) <= fdsBefore + 5, 5000), `descriptors back: ${openFds(pid)} (before ${fdsBefore})`);
  } finally {
    clearInterval(drip);
    for (const p of probes) p.socket.destroy();
    await gw.stop();
    gw.cleanup();
  }
});
