import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Histogram, Summary } from 'prom-client';
import { GatewayMetrics, type MetricsSources } from '../../../src/admin/gateway-metrics.js';
import { TrafficStats } from '../../../src/broker/traffic-stats.js';
import { repoRoot } from '../../support/gateway.js';

// docs/grafana/rop-dashboard.json queries only what the gateway exports: every metric its expressions and
// variables name is registered by GatewayMetrics (or prom-client's process metrics), with the labels it selects on.

interface Panel { type: string; title: string; id: number; targets?: Array<{ expr: string }>; gridPos: { x: number; y: number; w: number; h: number } }
const dashboard = JSON.parse(readFileSync(join(repoRoot, 'docs', 'grafana', 'rop-dashboard.json'), 'utf8')) as {
  uid: string; panels: Panel[]; templating: { list: Array<{ name: string; type: string; query: unknown }> };
};

/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ['job', 'instance'];

/** Every series name a gateway exports (a histogram's _bucket, _sum and _count), with the labels each carries. */
function exportedSeries(storeKind: 'embedded' | 'pulsar'): Map<string, Set<string>> {
  const traffic = new TrafficStats();
  const sources = {
    traffic,
    clusterName: 'C',
    brokerName: 'B',
    store: { listTopics: () => [], status: () => ({ kind: storeKind, ready: true, detail: '' }), onFlush: () => () => undefined, maxOffset: async () => 0 },
    admin: { groupNames: () => [], groupProgress: async () => [] },
    registry: { channels: () => [], consumerGroupNames: () => [], consumerGroup: () => undefined },
    heldPulls: () => 0,
    grpcClients: () => [],
  } as unknown as MetricsSources;
  const metrics = new GatewayMetrics(sources);
  try {
    const series = new Map<string, Set<string>>();
    for (const m of metrics.registry.getMetricsAsArray()) {
      const metric = m as unknown as { name: string; labelNames?: string[] };
      const labels = new Set([...(metric.labelNames ?? []), ...TARGET_LABELS]);
      if (m instanceof Histogram) {
        series.set(`${metric.name}_bucket`, new Set([...labels, 'le']));
        for (const suffix of ['_sum', '_count']) series.set(metric.name + suffix, labels);
      } else if (m instanceof Summary) {
        series.set(metric.name, new Set([...labels, 'quantile']));
        for (const suffix of ['_sum', '_count']) series.set(metric.name + suffix, labels);
      } else {
        series.set(metric.name, labels);
      }
    }
    return series;
  } finally {
    metrics.close();
    traffic.close();
  }
}

/** The metric selectors of a PromQL expression: each series name with the label names its matchers use. */
function selectors(expr: string): Array<{ metric: string; labels: string[] }> {
  const found: Array<{ metric: string; labels: string[] }> = [];
  // Aggregation clauses name labels, not metrics; ranges and strings hold neither.
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\b(by|without)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const token = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\}|\()?/g;
  for (let m = token.exec(stripped); m; m = token.exec(stripped)) {
    const [, name, after] = m;
    if (after === '(') continue; // a function
    if (/^(and|or|unless|offset|bool|on|ignoring|group_left|group_right)$/.test(name!)) continue;
    const labels = after ? [...after.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((l) => l[1]!) : [];
    found.push({ metric: name!, labels });
  }
  return found;
}

test('every metric and label the Grafana dashboard queries is one the gateway exports', () => {
  const exported = new Map([...exportedSeries('embedded'), ...exportedSeries('pulsar')]);
  const queried: Array<{ where: string; expr: string }> = [];
  for (const p of dashboard.panels) for (const t of p.targets ?? []) queried.push({ where: `panel "${p.title}"`, expr: t.expr });
  for (const v of dashboard.templating.list) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query as { query: string }).query;
    const inner = /^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(q);
    assert.ok(inner, `variable ${v.name}: ${q} is a label_values(selector, label) query`);
    queried.push({ where: `variable ${v.name}`, expr: inner[1]! });
    const [selector] = selectors(inner[1]!);
    assert.ok(exported.get(selector!.metric)?.has(inner[2]!), `variable ${v.name}: ${selector!.metric} has no label ${inner[2]}`);
  }
  assert.ok(queried.length >= 20, `the dashboard has its queries (${queried.length})`);
  const used = new Set<string>();
  for (const { where, expr } of queried) {
    const found = selectors(expr);
    assert.ok(found.length > 0, `${where}: no metric in ${expr}`);
    for (const s of found) {
      const labels = exported.get(s.metric);
      assert.ok(labels, `${where}: ${s.metric} is not exported by the gateway (${expr})`);
      for (const l of s.labels) assert.ok(labels.has(l), `${where}: ${s.metric} has no label ${l} (${expr})`);
      used.add(s.metric.replace(/_(bucket|sum|count)$/, ''));
    }
  }
  // The families the dashboard is for: throughput, lag, latency, connections and the store.
  for (const name of ['rocketmq_messages_in_total', 'rocketmq_messages_out_total', 'rocketmq_message_accumulation', 'rocketmq_consumer_lag_messages',
    'rocketmq_rpc_latency', 'rop_store_flush_latency_seconds', 'rocketmq_producer_connections', 'rocketmq_consumer_connections', 'rop_store_ready', 'rop_store_disk_bytes']) {
    assert.ok(used.has(name), `the dashboard charts ${name}`);
  }
});

test('the Grafana dashboard is well formed: unique panel ids, panels inside the 24-column grid, a Prometheus data source variable', () => {
  const ids = dashboard.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of dashboard.panels) {
    assert.ok(p.gridPos.x >= 0 && p.gridPos.w > 0 && p.gridPos.x + p.gridPos.w <= 24, `panel "${p.title}" fits the grid`);
    if (p.type !== 'row') assert.ok((p.targets ?? []).length > 0, `panel "${p.title}" has a query`);
  }
  assert.ok(dashboard.templating.list.some((v) => v.type === 'datasource' && v.query === 'prometheus'));
  assert.equal(dashboard.uid, 'rop-gateway');
});
