import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { parseMetrics, sum } from '../support/prometheus.js';
import { fillUntilFull, mountTmpfs, writeFiller } from '../support/tmpfs.js';
import { formatProperties } from '../../src/protocol/message-properties.js';
import { decodeStoredMessages } from '../../src/protocol/message-codec.js';
import { RequestCode, ResponseCode } from '../../src/protocol/request-code.js';

// A data dir on a 64 MiB tmpfs, a filler file next to it, and sends of 4 KiB messages until the disk is past
// --disk-max-used-ratio; then the disk filled to the last page. Nothing acknowledged may be lost or corrupted.
const TOPIC = 'DiskFullTopic';
const QUEUES = 4;
const RATIO = 60;
const GROUP = 'DiskFullCG';

const usedPercent = (dir: string): number => {
  const s = statfsSync(dir);
  return ((s.blocks - s.bfree) * 100) / (s.blocks - s.bfree + s.bavail);
};

function send(probe: RemotingProbe, i: number, body: Buffer) {
  return probe.invoke(RequestCode.SEND_MESSAGE_V2, {
    a: 'DiskFullPG', b: TOPIC, c: 'TBW102', d: String(QUEUES), e: String(i % QUEUES), f: '0', g: String(Date.now()), h: '0',
    i: formatProperties(new Map([['KEYS', `k-${i}`]])), j: '0', k: 'false', m: 'false',
  }, body);
}

/** Every message of the topic, read from offset 0 of each queue, as bodies in hex. */
async function drain(probe: RemotingProbe): Promise<string[]> {
  const bodies: string[] = [];
  for (let q = 0; q < QUEUES; q++) {
    const max = await probe.maxOffset(TOPIC, q);
    for (let offset = 0; offset < max;) {
      const r = await probe.invoke(11, {
        consumerGroup: GROUP, topic: TOPIC, queueId: String(q), queueOffset: String(offset), maxMsgNums: '32',
        sysFlag: '4', commitOffset: '0', suspendTimeoutMillis: '0', subscription: '*', subVersion: '0',
      });
      assert.equal(r.code, 0, `pull of queue ${q} at ${offset}: ${r.code} ${r.remark ?? ''}`);
      for (const m of decodeStoredMessages(r.body!)) bodies.push(m.body.toString('hex'));
      offset = Number(r.extFields.nextBeginOffset);
    }
  }
  return bodies;
}

/** Bodies (hex) of the messages QUERY_MESSAGE finds under KEYS `key`. */
async function queryKey(probe: RemotingProbe, key: string): Promise<string[]> {
  const r = await probe.invoke(12, { topic: TOPIC, key, maxNum: '4', beginTimestamp: '0', endTimestamp: String(Number.MAX_SAFE_INTEGER) });
  assert.equal(r.code, 0, `query of ${key}: ${r.code} ${r.remark ?? ''}`);
  return decodeStoredMessages(r.body!).map((m) => m.body.toString('hex'));
}

/** The gateway's log has no error line and no stack trace. */
function assertCleanLog(gw: GatewayProcess, when: string): void {
  const errors = gw.logs.filter((l) => Number(l.level) >= 50);
  assert.deepEqual(errors, [], `${when}: no error lines`);
  const stacks = gw.logs.filter((l) => JSON.stringify(l).includes('"stack"'));
  assert.deepEqual(stacks, [], `${when}: no stack trace`);
}

const warnings = (gw: GatewayProcess, prefix: string) => gw.logs.filter((l) => l.level === 40 && String(l.msg).startsWith(prefix)).length;

test('a full disk: sends are refused SERVICE_NOT_AVAILABLE without a stack trace, consumers drain, the gateway restarts on it, and sends resume once space is freed; nothing acknowledged is lost or corrupted', { timeout: 240_000 }, async (t) => {
  const fs = mountTmpfs('64m');
  if (typeof fs === 'string') {
    t.skip(fs);
    return;
  }
  const dataDir = join(fs.dir, 'data');
  mkdirSync(dataDir);
  const filler = join(fs.dir, 'filler');
  const rest = join(fs.dir, 'filler-rest');
  writeFiller(filler, 24 << 20);
  const acked = new Map<string, number>();
  const refused: string[] = [];
  const args = ['--disk-max-used-ratio', String(RATIO), '--default-queues', String(QUEUES)];
  let gw = await startGateway({ dataDir, args, http: true });
  let probe: RemotingProbe | undefined;
  try {
    probe = await RemotingProbe.connect(gw.address);
    assert.equal((await probe.invoke(105, { topic: TOPIC })).code, 0);

    // 1. Sends until the ratio refuses them (a statfs every second lets a burst overshoot it a little).
    let i = 0;
    let firstRefusal: { code: number; remark?: string } | undefined;
    for (; i < 20_000 && !firstRefusal; i++) {
      const body = Buffer.concat([Buffer.from(`m-${i}-`), randomBytes(4096)]);
      const r = await send(probe, i, body);
      if (r.code === 0) acked.set(body.toString('hex'), i);
      else {
        firstRefusal = r;
        refused.push(body.toString('hex'));
      }
    }
    assert.ok(firstRefusal, 'sends were refused before 20,000');
    assert.equal(firstRefusal.code, ResponseCode.SERVICE_NOT_AVAILABLE, `refused ${firstRefusal.code} ${firstRefusal.remark}`);
    assert.match(firstRefusal.remark ?? '', /disk is full: [\d.]+% used, over the limit of 60%/);
    // The gateway counts what it wrote since its last statfs: its estimate may run a little ahead of the disk.
    assert.ok(usedPercent(fs.dir) > RATIO - 1, `the disk is at the ratio (${usedPercent(fs.dir).toFixed(2)}%)`);
    for (let k = 0; k < 20; k++, i++) {
      const body = Buffer.concat([Buffer.from(`m-${i}-`), randomBytes(4096)]);
      const r = await send(probe, i, body);
      assert.equal(r.code, ResponseCode.SERVICE_NOT_AVAILABLE, 'every send is refused while the disk is over the ratio');
      refused.push(body.toString('hex'));
    }
    assert.equal(warnings(gw, 'disk over its limit'), 1, 'one warning for the episode');
    const metrics = parseMetrics(await (await fetch(`${gw.httpUrl}/metrics`)).text());
    assert.ok(sum(metrics, 'rop_store_disk_used_ratio') > RATIO / 100, 'the used ratio is exposed');
    assert.ok(sum(metrics, 'rop_store_disk_refusals_total') >= 21, 'refusals are counted');
    t.diagnostic(`${acked.size} messages acknowledged before the ratio (${RATIO}%) refused sends; disk ${usedPercent(fs.dir).toFixed(1)}% used`);

    // 2. The disk filled to its last page: the gateway keeps serving reads and commits.
    fillUntilFull(rest);
    assert.ok(usedPercent(fs.dir) > 99.9, `the disk is full (${usedPercent(fs.dir).toFixed(2)}%)`);
    let stored = await drain(probe);
    assert.equal(stored.length, acked.size, 'a consumer drains every acknowledged message');
    for (let q = 0; q < QUEUES; q++) {
      const max = await probe.maxOffset(TOPIC, q);
      const c: { code: number } = await probe.invoke(15, { consumerGroup: GROUP, topic: TOPIC, queueId: String(q), commitOffset: String(max) });
      assert.equal(c.code, 0, 'offset commits work on a full disk');
    }
    const [someBody, someIndex] = [...acked.entries()][Math.floor(acked.size / 2)]!;
    assert.deepEqual(await queryKey(probe, `k-${someIndex}`), [someBody], 'queries by key work on a full disk');
    assertCleanLog(gw, 'on a full disk');
    probe.close();
    probe = undefined;
    assert.equal(await gw.stop(), 0, 'the gateway stops cleanly on a full disk');

    // 3. A restart on the full disk, with the ratio at 100 so that the writes themselves hit ENOSPC.
    gw = await startGateway({ dataDir, args: ['--disk-max-used-ratio', '100', '--default-queues', String(QUEUES)] });
    probe = await RemotingProbe.connect(gw.address);
    for (let k = 0; k < 10; k++, i++) {
      const body = Buffer.concat([Buffer.from(`m-${i}-`), randomBytes(4096)]);
      const r = await send(probe, i, body);
      assert.equal(r.code, ResponseCode.SERVICE_NOT_AVAILABLE, `a send the disk has no room for is refused: ${r.code} ${r.remark ?? ''}`);
      assert.match(r.remark ?? '', /disk is full \(no space left on device\)/);
      refused.push(body.toString('hex'));
    }
    assert.equal(warnings(gw, 'writing messages to the disk failed'), 1, 'one warning for the run of ENOSPC, not one per send');
    for (let q = 0; q < QUEUES; q++) assert.equal(await probe.committedOffset(GROUP, TOPIC, q), await probe.maxOffset(TOPIC, q), 'the commits made on the full disk survived the restart');
    stored = await drain(probe);
    assert.equal(stored.length, acked.size, 'everything acknowledged is there after the restart');
    assert.deepEqual(await queryKey(probe, `k-${someIndex}`), [someBody], 'and after the restart on it');
    assertCleanLog(gw, 'restarted on a full disk');
    probe.close();
    probe = undefined;
    assert.equal(await gw.stop(), 0);

    // 4. Space freed: sends are taken again within the disk check's period.
    gw = await startGateway({ dataDir, args });
    probe = await RemotingProbe.connect(gw.address);
    rmSync(filler);
    rmSync(rest);
    const resumedAt = Date.now();
    let resumed = 0;
    for (let k = 0; resumed < 100 && Date.now() - resumedAt < 10_000; k++, i++) {
      const body = Buffer.concat([Buffer.from(`m-${i}-`), randomBytes(4096)]);
      const r = await send(probe, i, body);
      if (r.code === 0) {
        acked.set(body.toString('hex'), i);
        resumed++;
      } else {
        assert.equal(r.code, ResponseCode.SERVICE_NOT_AVAILABLE);
        refused.push(body.toString('hex'));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    assert.equal(resumed, 100, 'sends resumed after space was freed');

    // 5. Every acknowledged message once, byte for byte; nothing refused, nothing else.
    stored = await drain(probe);
    const seen = new Map<string, number>();
    for (const b of stored) seen.set(b, (seen.get(b) ?? 0) + 1);
    const lost = [...acked.keys()].filter((b) => !seen.has(b)).length;
    const corrupted = stored.filter((b) => !acked.has(b) && !refused.includes(b)).length;
    const duplicated = [...seen.values()].filter((n) => n > 1).length;
    const refusedButStored = refused.filter((b) => seen.has(b)).length;
    t.diagnostic(`${acked.size} acknowledged, ${refused.length} refused; lost ${lost}, corrupted ${corrupted}, duplicated ${duplicated}, refused but stored ${refusedButStored}`);
    assert.equal(lost, 0, 'no acknowledged message lost');
    assert.equal(corrupted, 0, 'no message corrupted');
    assert.equal(duplicated, 0);
    assert.equal(refusedButStored, 0, 'a refused send left nothing behind');
    assertCleanLog(gw, 'after space was freed');
  } finally {
    probe?.close();
    await gw.stop();
    fs.unmount();
  }
});
