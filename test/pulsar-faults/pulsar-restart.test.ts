import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, startGateway } from '../support/gateway.js';
import { JavaHarness } from '../support/java-harness.js';
import { aliMessage, aliProducer, closeAli, closeAliOnsInnerProducer } from '../support/ali-ons.js';

// Pulsar restarted under a running producer and consumer group: no SEND_OK for anything Pulsar did not
// keep, no gateway or client restart needed, and every acknowledged message delivered afterwards.
// It stops the shared standalone, so it runs after every other Pulsar suite.
const run = promisify(execFile);
const pulsar = (command: 'start' | 'stop'): Promise<unknown> =>
  run(process.execPath, [join(repoRoot, 'scripts', 'pulsar.mjs'), command], { cwd: repoRoot, timeout: 180_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const TOPIC = 'PulsarRestartTopic';
const GROUP = 'PulsarRestartGroup';

test('Pulsar restarts while a producer and a push consumer run: nothing acknowledged is lost, all resumes by itself', { timeout: 300_000 }, async (t) => {
  const gw = await startGateway();
  const clientDir = mkdtempSync(join(tmpdir(), 'rop-pulsar-restart-'));
  const producer = aliProducer(gw.address, clientDir, { instanceName: 'restart-producer' });
  const consumer = JavaHarness.start('push-consume', { namesrv: gw.address, topic: TOPIC, group: GROUP, 'timeout-ms': 280_000 });
  t.after(async () => {
    await pulsar('start');
    await consumer.stop();
    await closeAli(producer);
    await closeAliOnsInnerProducer();
    await gw.stop();
    gw.cleanup();
    rmSync(clientDir, { recursive: true, force: true });
  });
  await producer.ready();
  await consumer.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'consumer ready');

  const acked = new Set<number>();
  const failed: string[] = [];
  let sending = true;
  let next = 0;
  const loop = (async () => {
    while (sending) {
      const i = next++;
      try {
        const r = await producer.send(aliMessage(TOPIC, 'T', `restart-${i}`, [`k-${i}`], { idx: String(i) }));
        if (r.sendStatus === 'SEND_OK') acked.add(i);
        else failed.push(`${i}: ${r.sendStatus}`);
      } catch (err) {
        failed.push(`${i}: ${(err as Error).message.split('\n')[0]}`);
        await sleep(200);
      }
      await sleep(5);
    }
  })();

  await sleep(3000);
  const beforeStop = acked.size;
  assert.ok(beforeStop > 0, 'sends succeed before the restart');
  await pulsar('stop');
  await sleep(2000);
  await pulsar('start');
  const restartedAt = Date.now();
  // Sends succeed again without restarting anything.
  const ackedAtRestart = acked.size;
  const end = Date.now() + 60_000;
  while (acked.size < ackedAtRestart + 200 && Date.now() < end) await sleep(200);
  const resumedAfterMs = Date.now() - restartedAt;
  sending = false;
  await loop;
  assert.ok(acked.size >= ackedAtRestart + 200, `sends resumed after the restart (${acked.size - ackedAtRestart} acked since)`);

  const delivered = (): Set<number> => new Set(consumer.events.filter((e) => e.event === 'msg').map((e) => Number((e.props as Record<string, string>).idx)));
  await consumer.waitFor(() => [...acked].every((i) => delivered().has(i)), 90_000, `all ${acked.size} acknowledged messages delivered`);
  const missing = [...acked].filter((i) => !delivered().has(i));
  assert.deepEqual(missing, [], 'every acknowledged message reached the consumer');
  assert.equal(gw.child.exitCode, null, 'the gateway kept running');
  t.diagnostic(`acked ${acked.size} (${beforeStop} before the stop), failed while Pulsar was down ${failed.length}, sends back ${resumedAfterMs} ms after Pulsar answered; first failure: ${failed[0] ?? 'none'}`);
});
