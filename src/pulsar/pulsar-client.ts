import { CommandType, LookupType } from './pulsar-api.js';
import { PulsarConnection } from './pulsar-connection.js';
import { PulsarServerError } from './errors.js';
import type { PulsarAuthentication } from './auth.js';
import type { PulsarTlsOptions } from './tls.js';

export interface PulsarClientOptions {
  /** pulsar://host:port or pulsar+ssl://host:port of any broker (or a proxy) of the cluster. */
  serviceUrl: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  keepAliveMs?: number;
  /** How pulsar+ssl:// connections check certificates (default: Node's CAs, host name checked). */
  tls?: PulsarTlsOptions;
  auth?: PulsarAuthentication;
}

const MAX_REDIRECTS = 20;
const DEFAULT_TLS: PulsarTlsOptions = { verifyHostname: true };

/** host and port of a Pulsar service URL, and whether it asks for TLS (Pulsar's default ports: 6650, TLS 6651). */
export function parseServiceUrl(url: string): { host: string; port: number; tls: boolean } {
  const m = /^pulsar(\+ssl)?:\/\/([^:/]+)(?::(\d+))?\/?$/.exec(url);
  if (!m) throw new Error(`unsupported Pulsar service URL ${url} (expected pulsar://host:port or pulsar+ssl://host:port)`);
  const tls = m[1] !== undefined;
  return { host: m[2]!, port: m[3] ? Number(m[3]) : tls ? 6651 : 6650, tls };
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
  private authChallenges = 0;
  private readonly useTls: boolean;

  constructor(readonly options: PulsarClientOptions) {
    this.useTls = parseServiceUrl(options.serviceUrl).tls;
  }

  /** The pooled connection to `url`, opened on first use and replaced after it closes. */
  connection(url = this.options.serviceUrl): Promise<PulsarConnection> {
    if (this.closed) return Promise.reject(new Error('Pulsar client closed'));
    const existing = this.connections.get(url);
    if (existing) return existing;
    const { host, port, tls } = parseServiceUrl(url);
    const opening = PulsarConnection.open({
      host, port,
      connectTimeoutMs: this.options.connectTimeoutMs,
      requestTimeoutMs: this.options.requestTimeoutMs,
      keepAliveMs: this.options.keepAliveMs,
      tls: tls ? this.options.tls ?? DEFAULT_TLS : undefined,
      auth: this.options.auth,
    });
    this.connections.set(url, opening);
    opening.then(
      (c) => {
        this.opened++;
        this.open++;
        c.on('authChallenge', () => this.authChallenges++);
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

  /**
   * Connections open now, opened so far (a reconnect opens one more), attempts that failed, and auth challenges
   * answered on a connection that stayed open (a refreshed token).
   */
  get connectionStats(): { open: number; opened: number; failed: number; authChallenges: number } {
    return { open: this.open, opened: this.opened, failed: this.failed, authChallenges: this.authChallenges };
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
      const target = this.brokerUrl(r.brokerServiceUrl, r.brokerServiceUrlTls) ?? url;
      if (r.response === LookupType.Connect) {
        // Through a proxy, keep talking to the service URL; otherwise go straight to the owner.
        return this.connection(r.proxyThroughServiceUrl ? this.options.serviceUrl : target);
      }
      url = target;
      authoritative = r.authoritative ?? false;
    }
    throw new Error(`lookup of ${topic} redirected more than ${MAX_REDIRECTS} times`);
  }

  /** Over TLS, only the broker's TLS address will do: the plaintext one would send credentials in the clear. */
  private brokerUrl(plain: string | undefined, tls: string | undefined): string | undefined {
    if (!this.useTls) return plain;
    if (!tls && plain) throw new Error(`the Pulsar broker at ${plain} has no TLS address, and ${this.options.serviceUrl} asks for TLS`);
    return tls;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    for (const c of all) (await c.catch(() => undefined))?.close();
  }
}
