import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TrafficStats } from '../broker/traffic-stats.js';
import type { AdminService } from '../broker/admin-service.js';
import type { ConsumerRegistry } from '../broker/consumer-registry.js';
import type { MessageStore } from '../store/message-store.js';
import type { KeyIndexLosses } from '../broker/message-key-index.js';
import { requestCodeName } from '../protocol/request-code.js';
import type { ConnectionCounts } from '../net/connection-gate.js';

export interface MetricsSources {
  traffic: TrafficStats;
  clusterName: string;
  brokerName: string;
  store: MessageStore;
  admin: AdminService;
  registry: ConsumerRegistry;
  heldPulls: () => number;
  /** key index entries lost so far, summed over the gateway's brokers */
  keyIndexLosses: () => KeyIndexLosses;
  /** RocketMQ 5 clients connected over gRPC */
  grpcClients: () => Array<{ clientType: string; language: string; version: string; group?: string }>;
  /** sends and pulls answered busy (SYSTEM_BUSY, TOO_MANY_REQUESTS) for waiting too long, by protocol */
  busyRefusals: () => Readonly<Record<'remoting' | 'grpc', number>>;
  /** client connections open, refused by --max-connections and closed by their deadlines */
  connections: () => ConnectionCounts;
  /** With --workers: this worker's index, which labels every sample, and the other workers' metrics, served beside these */
  worker?: { index: number; others: () => Promise<object[][]> };
}

type LatencyLabels = 'protocol_type' | 'request_code' | 'response_code';

interface TopicRates {
  inPerSecond: number;
  outPerSecond: number;
}


/**
 * The gateway's Prometheus metrics. Traffic counters are read from the broker's TrafficStats when scraped, and
 * so is everything derived from the store (offsets, lag, sizes); only request latencies are observed as they
 * happen, through cached label children. Names follow Apache RocketMQ 5's broker metrics and rocketmq-exporter
 * where one exists (README, Metrics).
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly rpcLatency: Histogram<LatencyLabels>;
  private readonly flushLatency: Histogram;
  /** keyed by request code × 65536 + response code + 1 (-1 is "no response"; codes fit in 16 bits) */
  private readonly latencyChildren = new Map<number, Histogram.Internal<LatencyLabels>>();
  /** keyed by gRPC method and status code */
  private readonly grpcLatencyChildren = new Map<string, Histogram.Internal<LatencyLabels>>();
  private readonly traffic: TrafficStats;
  private readonly unsubscribeFlush: () => void;
  private readonly otherWorkers?: () => Promise<object[][]>;

  constructor(src: MetricsSources) {
    const r = this.registry;
    if (src.worker) {
      r.setDefaultLabels({ worker: String(src.worker.index) });
      this.otherWorkers = src.worker.others;
    }
    const base = { cluster: src.clusterName, broker: src.brokerName };
    collectDefaultMetrics({ register: r });
    const traffic = (this.traffic = src.traffic);
    const counterIn = (name: string, help: string, field: 'messages' | 'bytes') => new Counter({
      name, help, labelNames: ['topic'], registers: [r],
      collect() {
        this.reset();
        for (const [topic, c] of traffic.topicsIn()) this.inc({ topic }, c[field]);
      },
    });
    const counterOut = (name: string, help: string, field: 'messages' | 'bytes') => new Counter({
      name, help, labelNames: ['topic', 'consumer_group'], registers: [r],
      collect() {
        this.reset();
        for (const c of traffic.groupsOut()) this.inc({ topic: c.topic, consumer_group: c.group }, c[field]);
      },
    });
    counterIn('rocketmq_messages_in_total', 'Messages sent by clients and stored', 'messages');
    counterIn('rocketmq_throughput_in_total', 'Bytes of message bodies sent by clients and stored', 'bytes');
    counterOut('rocketmq_messages_out_total', 'Messages handed to consumers by pulls', 'messages');
    counterOut('rocketmq_throughput_out_total', 'Bytes handed to consumers by pulls (encoded messages)', 'bytes');
    this.rpcLatency = new Histogram({
      name: 'rocketmq_rpc_latency',
      help: 'Time to answer a request in milliseconds, by protocol, request and response code (a held pull or receive counts its hold)',
      labelNames: ['protocol_type', 'request_code', 'response_code'],
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

    const rates = () => traffic.recentRates();
    new Gauge({
      name: 'rocketmq_producer_tps', help: 'Messages stored per second per topic, over the last 10 s', labelNames: ['cluster', 'broker', 'topic'], registers: [r],
      collect() {
        this.reset();
        for (const [topic, rate] of rates().in) this.set({ ...base, topic }, rate.messages);
      },
    });
    new Gauge({
      name: 'rocketmq_producer_message_size', help: 'Bytes stored per second per topic, over the last 10 s', labelNames: ['cluster', 'broker', 'topic'], registers: [r],
      collect() {
        this.reset();
        for (const [topic, rate] of rates().in) this.set({ ...base, topic }, rate.bytes);
      },
    });
    new Gauge({
      name: 'rocketmq_consumer_tps', help: 'Messages pulled per second per group and topic, over the last 10 s', labelNames: ['cluster', 'broker', 'topic', 'group'], registers: [r],
      collect() {
        this.reset();
        for (const o of rates().out) this.set({ ...base, topic: o.topic, group: o.group }, o.messages);
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
        // A queue nobody reads costs the Pulsar store a broker round trip here: ask a topic's queues at once.
        for (const t of src.store.listTopics()) {
          const queues = Array.from({ length: Math.max(t.readQueueNums, t.writeQueueNums) }, (_, q) => src.store.maxOffset(t.name, q));
          this.set({ ...base, topic: t.name }, (await Promise.all(queues)).reduce((a, b) => a + b, 0));
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
    new Counter({
      name: 'rop_requests_refused_busy_total',
      help: 'Sends and pulls answered busy (SYSTEM_BUSY, TOO_MANY_REQUESTS) because they would have waited longer than --max-send-wait-ms',
      labelNames: ['protocol'],
      registers: [r],
      collect() {
        this.reset();
        for (const [protocol, n] of Object.entries(src.busyRefusals())) this.inc({ protocol }, n);
      },
    });
    new Gauge({
      name: 'rop_held_pulls', help: 'Pull requests held open waiting for messages (long polling)', registers: [r],
      collect() {
        this.set(src.heldPulls());
      },
    });
    new Gauge({
      name: 'rop_client_connections', help: 'Client connections open, by protocol (remoting counts those not yet past their first byte or TLS handshake)', labelNames: ['protocol'], registers: [r],
      collect() {
        for (const [protocol, n] of Object.entries(src.connections().open)) this.set({ protocol }, n);
      },
    });
    new Counter({
      name: 'rop_connections_refused_total', help: 'Client connections closed as soon as accepted because --max-connections were open, by protocol', labelNames: ['protocol'], registers: [r],
      collect() {
        this.reset();
        for (const [protocol, n] of Object.entries(src.connections().refused)) this.inc({ protocol }, n);
      },
    });
    new Counter({
      name: 'rop_connections_expired_total', help: 'Remoting connections the gateway closed: idle for --client-idle-timeout (reason idle) or a frame not complete in --frame-timeout-ms (reason frame_timeout)', labelNames: ['reason'], registers: [r],
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(src.connections().expired)) this.inc({ reason }, n);
      },
    });
    new Gauge({
      name: 'rocketmq_producer_connections', help: 'Producer clients connected, by client language and version', labelNames: ['language', 'version'], registers: [r],
      collect() {
        this.reset();
        for (const { role, channel } of src.registry.channels()) if (role === 'producer') this.inc({ language: channel.language, version: String(channel.version) });
        for (const c of src.grpcClients()) if (c.clientType === 'PRODUCER') this.inc({ language: c.language, version: c.version });
      },
    });
    new Gauge({
      name: 'rocketmq_consumer_connections', help: 'Consumer clients connected, by group, client language and version', labelNames: ['consumer_group', 'language', 'version'], registers: [r],
      collect() {
        this.reset();
        for (const group of src.registry.consumerGroupNames()) {
          for (const c of src.registry.consumerGroup(group)?.clients ?? []) this.inc({ consumer_group: group, language: c.language, version: String(c.version) });
        }
        for (const c of src.grpcClients()) if (c.group !== undefined) this.inc({ consumer_group: c.group, language: c.language, version: c.version });
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
    new Counter({
      name: 'rop_key_index_entries_dropped_total', help: 'Message keys and ids the key index could not keep (queries do not find their messages by them): too long to encode, or dropped while its records could not be written', labelNames: ['reason'], registers: [r],
      collect() {
        this.reset();
        const losses = src.keyIndexLosses();
        this.inc({ reason: 'unencodable' }, losses.unencodable);
        this.inc({ reason: 'overflow' }, losses.overflow);
      },
    });
    if (src.store.status().disk) this.registerDiskMetrics(src.store);
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
        name: 'rop_pulsar_auth_refreshes', help: 'Auth challenges of Pulsar brokers (an expiring token) answered with fresh credentials since start', registers: [r],
        collect() {
          this.set(src.store.status().pulsarConnections?.authChallenges ?? 0);
        },
      });
      new Gauge({
        name: 'rop_pulsar_connect_failures', help: 'Attempts of the Pulsar client to connect that failed since start', registers: [r],
        collect() {
          this.set(src.store.status().pulsarConnections?.failed ?? 0);
        },
      });
    }
  }

  /** The embedded store's hold on its disk (README, Limits). */
  private registerDiskMetrics(store: MessageStore): void {
    const r = this.registry;
    const disk = () => store.status().disk!;
    new Gauge({
      name: 'rop_store_open_files', help: 'Queue files the embedded store has open (bounded by --max-open-files)', registers: [r],
      collect() {
        this.set(disk().openFiles);
      },
    });
    new Gauge({
      name: 'rop_store_disk_used_ratio', help: 'Used share (0 to 1) of the file system of the data directory, measured every second', registers: [r],
      collect() {
        this.set(disk().usedRatio);
      },
    });
    new Counter({
      name: 'rop_store_disk_refusals_total', help: 'Messages refused because the disk was over --disk-max-used-ratio or refused the write (full, failing)', registers: [r],
      collect() {
        this.reset();
        this.inc(disk().refusedForDisk);
      },
    });
    new Counter({
      name: 'rop_store_flush_errors_total', help: 'Store flushes (index writes, fdatasync) that failed; what failed is retried by the next', registers: [r],
      collect() {
        this.reset();
        this.inc(disk().flushErrors);
      },
    });
  }

  /**
   * What /metrics serves: this process's metrics and, with --workers, every other worker's beside them, each sample
   * told apart by its `worker` label (so nothing is summed across workers: a queue id names a queue per broker).
   */
  async exposition(): Promise<{ contentType: string; text: string }> {
    if (!this.otherWorkers) return { contentType: this.registry.contentType, text: await this.registry.metrics() };
    const all = AggregatorRegistry.aggregate([await this.registry.getMetricsAsJSON(), ...(await this.otherWorkers())]);
    return { contentType: all.contentType, text: await all.metrics() };
  }

  /** A remoting request answered (RemotingServer's observer). */
  requestAnswered(code: number, responseCode: number, durationMs: number): void {
    const key = code * 65536 + responseCode + 1;
    let child = this.latencyChildren.get(key);
    if (!child) this.latencyChildren.set(key, (child = this.rpcLatency.labels('remoting', requestCodeName(code) ?? String(code), String(responseCode))));
    child.observe(durationMs);
  }

  /** A gRPC call answered: its method (`SendMessage`) and the status code in its response (`OK`). */
  grpcAnswered(method: string, statusCode: string, durationMs: number): void {
    const key = `${method} ${statusCode}`;
    let child = this.grpcLatencyChildren.get(key);
    if (!child) this.grpcLatencyChildren.set(key, (child = this.rpcLatency.labels('grpc', method, statusCode)));
    child.observe(durationMs);
  }

  /** Per-topic message rates in and out (summed over groups), for the dashboard. */
  topicRates(): Map<string, TopicRates> {
    const r = this.traffic.recentRates();
    const result = new Map<string, TopicRates>();
    const entry = (topic: string): TopicRates => {
      let e = result.get(topic);
      if (!e) result.set(topic, (e = { inPerSecond: 0, outPerSecond: 0 }));
      return e;
    };
    for (const [topic, rate] of r.in) entry(topic).inPerSecond = rate.messages;
    for (const o of r.out) entry(o.topic).outPerSecond += o.messages;
    return result;
  }

  close(): void {
    this.unsubscribeFlush();
  }
}
