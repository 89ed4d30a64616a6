import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TrafficObserver } from '../broker/traffic-observer.js';
import type { AdminService } from '../broker/admin-service.js';
import type { ConsumerRegistry } from '../broker/consumer-registry.js';
import type { MessageStore } from '../store/message-store.js';
import { RequestCode } from '../protocol/request-code.js';

export interface MetricsSources {
  clusterName: string;
  brokerName: string;
  store: MessageStore;
  admin: AdminService;
  registry: ConsumerRegistry;
  heldPulls: () => number;
}

interface TopicRates {
  inPerSecond: number;
  outPerSecond: number;
}

/** Rates are taken over this window, sampled at a fifth of it. */
const RATE_WINDOW_MS = 10_000;
const CODE_NAMES = new Map<number, string>(Object.entries(RequestCode).map(([name, code]) => [code, name]));

/**
 * The gateway's Prometheus metrics. Counters are bumped on the hot path through cached label children;
 * everything derived from the store (offsets, lag, sizes) is computed when scraped. Names follow Apache
 * RocketMQ 5's broker metrics and rocketmq-exporter where one exists (README, Metrics).
 */
export class GatewayMetrics implements TrafficObserver {
  readonly registry = new Registry();
  private readonly inMessages: Counter<'topic'>;
  private readonly inBytes: Counter<'topic'>;
  private readonly outMessages: Counter<'topic' | 'consumer_group'>;
  private readonly outBytes: Counter<'topic' | 'consumer_group'>;
  private readonly rpcLatency: Histogram<'request_code' | 'response_code'>;
  private readonly flushLatency: Histogram;
  private readonly inChildren = new Map<string, [Counter.Internal, Counter.Internal]>();
  private readonly outChildren = new Map<string, [Counter.Internal, Counter.Internal]>();
  /** keyed by request code × 65536 + response code + 1 (-1 is "no response"; codes fit in 16 bits) */
  private readonly latencyChildren = new Map<number, Histogram.Internal<'request_code' | 'response_code'>>();
  /** per-topic and per-group-topic message counts, sampled for rates */
  private readonly totalsIn = new Map<string, number>();
  private readonly totalsOut = new Map<string, { group: string; topic: string; count: number; bytes: number }>();
  private readonly totalsInBytes = new Map<string, number>();
  private samples: Array<{ at: number; inCounts: Map<string, number>; inBytes: Map<string, number>; out: Map<string, { count: number; bytes: number }> }> = [];
  private readonly sampler: NodeJS.Timeout;
  private readonly unsubscribeFlush: () => void;

  constructor(src: MetricsSources) {
    const r = this.registry;
    const base = { cluster: src.clusterName, broker: src.brokerName };
    collectDefaultMetrics({ register: r });
    this.inMessages = new Counter({ name: 'rocketmq_messages_in_total', help: 'Messages sent by clients and stored', labelNames: ['topic'], registers: [r] });
    this.inBytes = new Counter({ name: 'rocketmq_throughput_in_total', help: 'Bytes of message bodies sent by clients and stored', labelNames: ['topic'], registers: [r] });
    this.outMessages = new Counter({ name: 'rocketmq_messages_out_total', help: 'Messages handed to consumers by pulls', labelNames: ['topic', 'consumer_group'], registers: [r] });
    this.outBytes = new Counter({ name: 'rocketmq_throughput_out_total', help: 'Bytes handed to consumers by pulls (encoded messages)', labelNames: ['topic', 'consumer_group'], registers: [r] });
    this.rpcLatency = new Histogram({
      name: 'rocketmq_rpc_latency',
      help: 'Time to answer a remoting request in milliseconds, by request and response code (a held pull counts its hold)',
      labelNames: ['request_code', 'response_code'],
      buckets: [1, 3, 5, 10, 25, 50, 100, 250, 500, 1000, 3000, 10_000, 30_000],
      registers: [r],
    });
    this.flushLatency = new Histogram({
      name: 'rop_store_flush_latency_seconds',
      help: 'Time of a store flush: fsync of the embedded store, consumer-offset table write of the Pulsar store',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [r],
    });
    this.unsubscribeFlush = src.store.onFlush((ms) => this.flushLatency.observe(ms / 1000));

    const rates = () => this.rates();
    new Gauge({
      name: 'rocketmq_producer_tps', help: 'Messages stored per second per topic, over the last 10 s', labelNames: ['cluster', 'broker', 'topic'], registers: [r],
      collect() {
        this.reset();
        for (const [topic, rate] of rates().inCounts) this.set({ ...base, topic }, rate);
      },
    });
    new Gauge({
      name: 'rocketmq_producer_message_size', help: 'Bytes stored per second per topic, over the last 10 s', labelNames: ['cluster', 'broker', 'topic'], registers: [r],
      collect() {
        this.reset();
        for (const [topic, rate] of rates().inBytes) this.set({ ...base, topic }, rate);
      },
    });
    new Gauge({
      name: 'rocketmq_consumer_tps', help: 'Messages pulled per second per group and topic, over the last 10 s', labelNames: ['cluster', 'broker', 'topic', 'group'], registers: [r],
      collect() {
        this.reset();
        for (const o of rates().out) this.set({ ...base, topic: o.topic, group: o.group }, o.count);
      },
    });
    new Gauge({
      name: 'rocketmq_consumer_message_size', help: 'Bytes pulled per second per group and topic, over the last 10 s', labelNames: ['cluster', 'broker', 'topic', 'group'], registers: [r],
      collect() {
        this.reset();
        for (const o of rates().out) this.set({ ...base, topic: o.topic, group: o.group }, o.bytes);
      },
    });
    new Gauge({
      name: 'rocketmq_producer_offset', help: 'Sum of the max offsets of a topic\'s queues', labelNames: ['cluster', 'broker', 'topic'], registers: [r],
      async collect() {
        this.reset();
        for (const t of src.store.listTopics()) {
          let sum = 0;
          for (let q = 0; q < Math.max(t.readQueueNums, t.writeQueueNums); q++) sum += await src.store.maxOffset(t.name, q);
          this.set({ ...base, topic: t.name }, sum);
        }
      },
    });
    const progress = async () => {
      const rows = [];
      for (const group of src.admin.groupNames()) {
        for (const p of await src.admin.groupProgress(group, undefined, false)) rows.push({ group, ...p });
      }
      return rows;
    };
    let pending: ReturnType<typeof progress> | undefined;
    // One scrape computes the groups' progress once for the three gauges below.
    const sharedProgress = () => (pending ??= progress().finally(() => setImmediate(() => (pending = undefined))));
    /** A field of the groups' per-queue progress summed per group and topic, as rocketmq-exporter reports it. */
    const perGroupTopic = async (field: 'consumerOffset' | 'lag') => {
      const sums = new Map<string, { topic: string; group: string; value: number }>();
      for (const p of await sharedProgress()) {
        const k = `${p.group}\u0000${p.topic}`;
        const e = sums.get(k) ?? { topic: p.topic, group: p.group, value: 0 };
        e.value += p[field];
        sums.set(k, e);
      }
      return sums.values();
    };
    new Gauge({
      name: 'rocketmq_consumer_offset', help: 'Sum of a group\'s committed offsets over a topic\'s queues', labelNames: ['cluster', 'broker', 'topic', 'group'], registers: [r],
      async collect() {
        this.reset();
        for (const e of await perGroupTopic('consumerOffset')) this.set({ ...base, topic: e.topic, group: e.group }, e.value);
      },
    });
    new Gauge({
      name: 'rocketmq_message_accumulation', help: 'Messages a group has yet to consume in a topic (max offset minus committed offset, summed over queues)', labelNames: ['cluster', 'broker', 'topic', 'group'], registers: [r],
      async collect() {
        this.reset();
        for (const e of await perGroupTopic('lag')) this.set({ ...base, topic: e.topic, group: e.group }, e.value);
      },
    });
    new Gauge({
      name: 'rocketmq_consumer_lag_messages', help: 'Messages a group has yet to consume in one queue', labelNames: ['topic', 'consumer_group', 'queue_id'], registers: [r],
      async collect() {
        this.reset();
        for (const p of await sharedProgress()) this.set({ topic: p.topic, consumer_group: p.group, queue_id: String(p.queueId) }, p.lag);
      },
    });
    new Gauge({
      name: 'rop_held_pulls', help: 'Pull requests held open waiting for messages (long polling)', registers: [r],
      collect() {
        this.set(src.heldPulls());
      },
    });
    new Gauge({
      name: 'rocketmq_producer_connections', help: 'Producer clients connected, by client language and version', labelNames: ['language', 'version'], registers: [r],
      collect() {
        this.reset();
        for (const { role, channel } of src.registry.channels()) if (role === 'producer') this.inc({ language: channel.language, version: String(channel.version) });
      },
    });
    new Gauge({
      name: 'rocketmq_consumer_connections', help: 'Consumer clients connected, by group, client language and version', labelNames: ['consumer_group', 'language', 'version'], registers: [r],
      collect() {
        this.reset();
        for (const group of src.registry.consumerGroupNames()) {
          for (const c of src.registry.consumerGroup(group)?.clients ?? []) this.inc({ consumer_group: group, language: c.language, version: String(c.version) });
        }
      },
    });
    new Gauge({
      name: 'rop_store_ready', help: '1 while the message store can serve, 0 otherwise', labelNames: ['store'], registers: [r],
      collect() {
        this.reset();
        const s = src.store.status();
        this.set({ store: s.kind }, s.ready ? 1 : 0);
      },
    });
    new Gauge({
      name: 'rop_store_disk_bytes', help: 'Bytes of messages the embedded store keeps on disk', registers: [r],
      collect() {
        this.set(src.store.status().diskBytes ?? 0);
      },
    });
    if (src.store.status().kind === 'pulsar') {
      new Gauge({
        name: 'rop_pulsar_connections', help: 'Connections of the gateway\'s Pulsar client that are open', registers: [r],
        collect() {
          this.set(src.store.status().pulsarConnections?.open ?? 0);
        },
      });
      new Gauge({
        name: 'rop_pulsar_connections_opened', help: 'Connections the Pulsar client has opened since start (a reconnect adds one)', registers: [r],
        collect() {
          this.set(src.store.status().pulsarConnections?.opened ?? 0);
        },
      });
      new Gauge({
        name: 'rop_pulsar_connect_failures', help: 'Attempts of the Pulsar client to connect that failed since start', registers: [r],
        collect() {
          this.set(src.store.status().pulsarConnections?.failed ?? 0);
        },
      });
    }
    this.sampler = setInterval(() => this.sample(), RATE_WINDOW_MS / 5);
    this.sampler.unref();
    this.sample();
  }

  messagesIn(topic: string, count: number, bytes: number): void {
    let c = this.inChildren.get(topic);
    if (!c) this.inChildren.set(topic, (c = [this.inMessages.labels(topic), this.inBytes.labels(topic)]));
    c[0].inc(count);
    c[1].inc(bytes);
    this.totalsIn.set(topic, (this.totalsIn.get(topic) ?? 0) + count);
    this.totalsInBytes.set(topic, (this.totalsInBytes.get(topic) ?? 0) + bytes);
  }

  messagesOut(group: string, topic: string, count: number, bytes: number): void {
    const key = `${group}\u0000${topic}`;
    let c = this.outChildren.get(key);
    if (!c) this.outChildren.set(key, (c = [this.outMessages.labels(topic, group), this.outBytes.labels(topic, group)]));
    c[0].inc(count);
    c[1].inc(bytes);
    let t = this.totalsOut.get(key);
    if (!t) this.totalsOut.set(key, (t = { group, topic, count: 0, bytes: 0 }));
    t.count += count;
    t.bytes += bytes;
  }

  /** A remoting request answered (RemotingServer's observer). */
  requestAnswered(code: number, responseCode: number, durationMs: number): void {
    const key = code * 65536 + responseCode + 1;
    let child = this.latencyChildren.get(key);
    if (!child) this.latencyChildren.set(key, (child = this.rpcLatency.labels(CODE_NAMES.get(code) ?? String(code), String(responseCode))));
    child.observe(durationMs);
  }

  /** Per-topic message rates in and out (summed over groups), for the dashboard. */
  topicRates(): Map<string, TopicRates> {
    const r = this.rates();
    const result = new Map<string, TopicRates>();
    const entry = (topic: string): TopicRates => {
      let e = result.get(topic);
      if (!e) result.set(topic, (e = { inPerSecond: 0, outPerSecond: 0 }));
      return e;
    };
    for (const [topic, rate] of r.inCounts) entry(topic).inPerSecond = rate;
    for (const o of r.out) entry(o.topic).outPerSecond += o.count;
    return result;
  }

  close(): void {
    clearInterval(this.sampler);
    this.unsubscribeFlush();
  }

  private sample(): void {
    const out = new Map<string, { count: number; bytes: number }>();
    for (const [k, t] of this.totalsOut) out.set(k, { count: t.count, bytes: t.bytes });
    this.samples.push({ at: Date.now(), inCounts: new Map(this.totalsIn), inBytes: new Map(this.totalsInBytes), out });
    const cutoff = Date.now() - RATE_WINDOW_MS;
    while (this.samples.length > 2 && this.samples[1]!.at <= cutoff) this.samples.shift();
  }

  /** Rates from the oldest sample in the window to now. */
  private rates(): { inCounts: Map<string, number>; inBytes: Map<string, number>; out: Array<{ group: string; topic: string; count: number; bytes: number }> } {
    const first = this.samples[0]!;
    const seconds = Math.max(1, Date.now() - first.at) / 1000;
    const perSecond = (now: Map<string, number>, then: Map<string, number>) =>
      new Map([...now].map(([k, v]) => [k, (v - (then.get(k) ?? 0)) / seconds] as const));
    const out = [...this.totalsOut].map(([k, t]) => {
      const then = first.out.get(k);
      return { group: t.group, topic: t.topic, count: (t.count - (then?.count ?? 0)) / seconds, bytes: (t.bytes - (then?.bytes ?? 0)) / seconds };
    });
    return { inCounts: perSecond(this.totalsIn, first.inCounts), inBytes: perSecond(this.totalsInBytes, first.inBytes), out };
  }
}
