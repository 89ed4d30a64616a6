import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Registry } from 'prom-client';
import { wiredWorkers } from '../../support/worker-wiring.js';

/** A worker's registry as GatewayMetrics labels it, with `sent` messages counted. */
function workerRegistry(index: number, sent: number): Registry {
  const r = new Registry();
  r.setDefaultLabels({ worker: String(index) });
  new Counter({ name: 'rocketmq_messages_in_total', help: 'in', labelNames: ['topic'], registers: [r] }).inc({ topic: 'T' }, sent);
  return r;
}

test('a worker collects every other worker\'s metrics through the primary; a worker that exited is not waited for', async () => {
  const { links, relay } = wiredWorkers(3);
  links.forEach((link, i) => link.onMetrics(() => workerRegistry(i, 10 * (i + 1)).getMetricsAsJSON()));
  const others = await links[0]!.otherWorkersMetrics(2000);
  const values = others.flatMap((m) => (m as Array<{ values: Array<{ labels: Record<string, string>; value: number }> }>)[0]!.values);
  assert.deepEqual(values.map((v) => [v.labels.worker, v.value]).sort(), [['1', 20], ['2', 30]]);

  relay.gone(2);
  assert.equal((await links[1]!.otherWorkersMetrics(2000)).length, 1, 'worker 0 only');
});

test('a collection answers with what came within its wait: a worker whose metrics never come does not hold a scrape', async () => {
  const { links } = wiredWorkers(2);
  links[1]!.onMetrics(() => new Promise(() => undefined));
  const started = Date.now();
  assert.deepEqual(await links[0]!.otherWorkersMetrics(200), []);
  assert.ok(Date.now() - started < 1000);
  // A worker with no source, or whose source fails, answers with nothing rather than not at all.
  links[1]!.onMetrics(() => Promise.reject(new Error('broken')));
  assert.deepEqual(await links[0]!.otherWorkersMetrics(2000), [[]]);
});
