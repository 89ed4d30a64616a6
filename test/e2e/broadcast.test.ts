import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayPerFile } from '../support/file-gateway.js';
import { JavaHarness, deliveries } from '../support/java-harness.js';

// Broadcasting consumers keep their offsets on the client; every member of the group gets every message.

const file = gatewayPerFile();


test('each member of a broadcasting group receives every message once', { timeout: 120_000 }, async () => {
  // Broadcasting offsets live under the client's home; keep each member's apart and out of the real home.
  const home = mkdtempSync(join(tmpdir(), 'rop-broadcast-'));
  try {
    const members = ['member-a', 'member-b', 'member-c'].map((instance) => {
      const h = JavaHarness.start('push-consume', { namesrv: file.gw.address, topic: 'BroadcastTopic', group: 'BroadcastGroup', broadcast: 'true', instance, 'timeout-ms': 110_000 }, [`-Duser.home=${home}`]);
      file.track(h);
      return h;
    });
    for (const m of members) await m.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'member ready');
    await new Promise((r) => setTimeout(r, 2000));
    const sent = await JavaHarness.run('produce', { namesrv: file.gw.address, topic: 'BroadcastTopic', count: 100, mode: 'sync' });
    assert.equal(sent.filter((e) => e.event === 'sent').length, 100);
    for (const m of members) await m.waitFor((e) => deliveries(e).length >= 100, 60_000, '100 messages at every member');
    await new Promise((r) => setTimeout(r, 1500));
    for (const m of members) {
      const idx = deliveries(m.events).map((d) => Number((d.props as Record<string, string>).idx));
      assert.equal(idx.length, 100, 'no message twice');
      assert.deepEqual([...idx].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
