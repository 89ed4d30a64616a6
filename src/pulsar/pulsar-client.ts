import { CommandType, LookupType } from './pulsar-api.js';
import { PulsarConnection } from './pulsar-connection.js';
import { PulsarServerError } from './errors.js';

export interface PulsarClientOptions {
  /** pulsar://host:port of any broker (or a proxy) of the cluster. */
  serviceUrl: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  keepAliveMs?: number;
}

const MAX_REDIRECTS = 20;

function parseServiceUrl(url: string): { host: string; port: number } {
  const m = /^pulsar:\/\/([^:/]+)(?::(\d+))?\/?$/.exec(url);
  if (!m) throw new Error(`unsupported Pulsar service URL ${url} (expected pulsar://host:port)`);
  return { host: m[1]!, port: m[2] ? Number(m[2]) : 6650 };
}

/**
 * Connections to a Pulsar cluster: one pooled connection per broker address, topic lookup
 * with redirects, partitioned-topic metadata. Producers and consumers are built on it.
 */
export class PulsarClient {
  private readonly connections = new Map<string, Promise<PulsarConnection>>();
  private closed = false;
  private nextResourceId = 1;
  private opened = 0;
  private failed = 0;
  private open = 0;

  constructor(readonly options: PulsarClientOptions) {
    parseServiceUrl(options.serviceUrl);
  }

  /** The pooled connection to `url`, opened on first use and replaced after it closes. */
  connection(url = this.options.serviceUrl): Promise<PulsarConnection> {
    if (this.closed) return Promise.reject(new Error('Pulsar client closed'));
    const existing = this.connections.get(url);
    if (existing) return existing;
    const { host, port } = parseServiceUrl(url);
    const opening = PulsarConnection.open({
      host, port,
      connectTimeoutMs: this.options.connectTimeoutMs,
      requestTimeoutMs: this.options.requestTimeoutMs,
      keepAliveMs: this.options.keepAliveMs,
    });
    this.connections.set(url, opening);
    opening.then(
      (c) => {
        this.opened++;
        this.open++;
        c.once('close', () => {
          this.open--;
          if (this.connections.get(url) === opening) this.connections.delete(url);
        });
      },
      () => {
        this.failed++;
        if (this.connections.get(url) === opening) this.connections.delete(url);
      },
    );
    return opening;
  }

  /** Producer and consumer ids are unique per client, so a resource keeps its id across reconnects. */
  newResourceId(): number {
    return this.nextResourceId++;
  }

  /** Connections open now, opened so far (a reconnect opens one more) and attempts that failed. */
  get connectionStats(): { open: number; opened: number; failed: number } {
    return { open: this.open, opened: this.opened, failed: this.failed };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The number of partitions of `topic` (0 for a non-partitioned topic). */
  async partitions(topic: string): Promise<number> {
    const conn = await this.connection();
    const requestId = conn.newRequestId();
    const res = await conn.request({ type: CommandType.PARTITIONED_METADATA, partitionMetadata: { topic, requestId } }, requestId);
    const r = res.partitionMetadataResponse!;
    if (r.response === 1) throw new PulsarServerError(r.error ?? 0, r.message ?? 'partitioned metadata lookup failed');
    return r.partitions ?? 0;
  }

  /** Finds the broker that owns `topic` (a partition name for partitioned topics), following redirects. */
  async lookup(topic: string): Promise<PulsarConnection> {
    let url = this.options.serviceUrl;
    let authoritative = false;
    for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
      const conn = await this.connection(url);
      const requestId = conn.newRequestId();
      const res = await conn.request({ type: CommandType.LOOKUP, lookupTopic: { topic, requestId, authoritative } }, requestId);
      const r = res.lookupTopicResponse!;
      if (r.response === LookupType.Failed) throw new PulsarServerError(r.error ?? 0, r.message ?? `lookup of ${topic} failed`);
      const target = r.brokerServiceUrl ?? url;
      if (r.response === LookupType.Connect) {
        // Through a proxy, keep talking to the service URL; otherwise go straight to the owner.
        return this.connection(r.proxyThroughServiceUrl ? this.options.serviceUrl : target);
      }
      url = target;
      authoritative = r.authoritative ?? false;
    }
    throw new Error(`lookup of ${topic} redirected more than ${MAX_REDIRECTS} times`);
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    for (const c of all) (await c.catch(() => undefined))?.close();
  }
}
