import { AdminHttp, reasonOf } from './admin-http.js';
import type { PulsarAuthentication } from './auth.js';
import type { PulsarTlsOptions } from './tls.js';

/** A failed admin REST call, with the HTTP status and the broker's reason. */
export class PulsarAdminError extends Error {
  override name = 'PulsarAdminError';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface RetentionPolicy {
  retentionTimeInMinutes: number;
  retentionSizeInMB: number;
}

/** A message's place in a topic partition, as the admin API reports it. */
export interface EntryPosition {
  ledgerId: number;
  entryId: number;
  /** -1 when the entry is not a batch. */
  batchIndex: number;
}

export interface EntryMetadata {
  index?: number;
  brokerTimestamp?: number;
  messages: number;
}

export interface PulsarAdminOptions {
  timeoutMs?: number;
  /** How an https:// admin URL's certificate is checked. */
  tls?: PulsarTlsOptions;
  /** Credentials sent with every call (a token as `Authorization: Bearer`). */
  auth?: PulsarAuthentication;
}

/** The few Pulsar admin REST (v2) calls the gateway needs: tenants, namespaces with retention, partitioned topics. */
export class PulsarAdmin {
  private readonly http: AdminHttp;

  constructor(adminUrl: string, options: PulsarAdminOptions = {}) {
    this.http = new AdminHttp(adminUrl, { timeoutMs: options.timeoutMs ?? 30_000, tls: options.tls, auth: options.auth });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.http.close();
  }

  clusters(): Promise<string[]> {
    return this.call('GET', '/admin/v2/clusters') as Promise<string[]>;
  }

  tenants(): Promise<string[]> {
    return this.call('GET', '/admin/v2/tenants') as Promise<string[]>;
  }

  /** Creates the tenant allowed on every cluster; an existing tenant is left as is. */
  async ensureTenant(tenant: string): Promise<void> {
    const allowedClusters = await this.clusters();
    await this.call('PUT', `/admin/v2/tenants/${enc(tenant)}`, { adminRoles: [], allowedClusters }, [409]);
  }

  namespaces(tenant: string): Promise<string[]> {
    return this.call('GET', `/admin/v2/namespaces/${enc(tenant)}`) as Promise<string[]>;
  }

  /** Creates `tenant/namespace` when missing; returns true when this call created it. */
  async ensureNamespace(namespace: string): Promise<boolean> {
    const status = await this.call('PUT', `/admin/v2/namespaces/${path(namespace)}`, {}, [409], true);
    return status !== 409;
  }

  setRetention(namespace: string, policy: RetentionPolicy): Promise<unknown> {
    return this.call('POST', `/admin/v2/namespaces/${path(namespace)}/retention`, policy);
  }

  getRetention(namespace: string): Promise<RetentionPolicy | null> {
    return this.call('GET', `/admin/v2/namespaces/${path(namespace)}/retention`) as Promise<RetentionPolicy | null>;
  }

  /**
   * Creates `tenant/namespace` (and its tenant) when missing and gives it `retentionHours` of retention unless it
   * has a retention already: an operator's is left alone, and none at all would drop what nobody acknowledged.
   */
  async ensureRetainedNamespace(namespace: string, retentionHours: number): Promise<void> {
    await this.ensureTenant(namespace.split('/')[0]!);
    await this.ensureNamespace(namespace);
    const current = await this.getRetention(namespace);
    if (!current || (current.retentionTimeInMinutes === 0 && current.retentionSizeInMB === 0)) {
      await this.setRetention(namespace, { retentionTimeInMinutes: retentionHours * 60, retentionSizeInMB: -1 });
    }
  }

  /** Creates a partitioned topic; an existing one is left as is. `topic` is `tenant/namespace/name`. */
  async ensurePartitionedTopic(topic: string, partitions: number): Promise<void> {
    await this.call('PUT', `/admin/v2/persistent/${path(topic)}/partitions`, partitions, [409]);
  }

  async partitionCount(topic: string): Promise<number> {
    const r = (await this.call('GET', `/admin/v2/persistent/${path(topic)}/partitions`)) as { partitions: number };
    return r.partitions;
  }

  /**
   * Grows a partitioned topic (Pulsar cannot shrink one). `force` skips the broker's check that no partition
   * beyond the current count exists, which a concurrent grow that lost its metadata update leaves behind.
   */
  updatePartitions(topic: string, partitions: number, force = false): Promise<unknown> {
    return this.call('POST', `/admin/v2/persistent/${path(topic)}/partitions${force ? '?force=true' : ''}`, partitions);
  }

  deletePartitionedTopic(topic: string, force = false): Promise<unknown> {
    return this.call('DELETE', `/admin/v2/persistent/${path(topic)}/partitions?force=${force}`, undefined, [404]);
  }

  /** Sets the size of un-compacted backlog at which the broker compacts topics of the namespace. */
  setCompactionThreshold(namespace: string, bytes: number): Promise<unknown> {
    return this.call('PUT', `/admin/v2/namespaces/${path(namespace)}/compactionThreshold`, bytes);
  }

  /** Has the broker drop a producer's resent messages (by producer name and sequence id) on the namespace's topics. */
  setDeduplication(namespace: string, enabled: boolean): Promise<unknown> {
    return this.call('POST', `/admin/v2/namespaces/${path(namespace)}/deduplication`, enabled);
  }

  deleteNamespace(namespace: string, force = false): Promise<unknown> {
    return this.call('DELETE', `/admin/v2/namespaces/${path(namespace)}?force=${force}`, undefined, [404]);
  }

  /** The id of the message with broker entry index `index` (PIP-415, Pulsar 4.1+); undefined when none has it. */
  async messageIdByIndex(topic: string, index: number): Promise<EntryPosition | undefined> {
    const r = (await this.call('GET', `/admin/v2/persistent/${path(topic)}/getMessageIdByIndex?index=${index}`, undefined, [404])) as
      { ledgerId?: number; entryId?: number; batchIndex?: number } | { reason: string } | null;
    if (!r || !('ledgerId' in r) || r.ledgerId === undefined || r.entryId === undefined) return undefined;
    return { ledgerId: r.ledgerId, entryId: r.entryId, batchIndex: r.batchIndex ?? -1 };
  }

  /** The position of a partition's newest entry; undefined while it has none. */
  async lastEntry(topic: string): Promise<EntryPosition | undefined> {
    return entryPosition(await this.call('GET', `/admin/v2/persistent/${path(topic)}/lastMessageId`, undefined, [404]));
  }

  /** The id of the first message published at or after `timestamp`; undefined when there is none. */
  async messageIdByTimestamp(topic: string, timestamp: number): Promise<EntryPosition | undefined> {
    return entryPosition(await this.call('GET', `/admin/v2/persistent/${path(topic)}/messageid/${timestamp}`, undefined, [404]));
  }

  /**
   * The broker entry metadata of one entry, read from the headers of the get-message-by-id call:
   * its index (of the entry's last message), broker time and how many messages it batches.
   */
  async entryMetadata(topic: string, ledgerId: number, entryId: number): Promise<EntryMetadata | undefined> {
    const res = await this.http.request('GET', `/admin/v2/persistent/${path(topic)}/ledger/${ledgerId}/entry/${entryId}`);
    if (res.status === 404) return undefined;
    if (!ok(res.status)) throw new PulsarAdminError(res.status, `GET entry ${ledgerId}:${entryId} of ${topic}: HTTP ${res.status}`);
    const index = header(res.headers['x-pulsar-broker-entry-metadata-index']);
    const time = header(res.headers['x-pulsar-broker-entry-metadata-timestamp']);
    const batch = header(res.headers['x-pulsar-num-batch-message']);
    return {
      index: index === undefined ? undefined : Number(index),
      brokerTimestamp: time === undefined ? undefined : Date.parse(time),
      messages: batch === undefined ? 1 : Number(batch),
    };
  }

  topics(namespace: string): Promise<string[]> {
    return this.call('GET', `/admin/v2/persistent/${path(namespace)}/partitioned`) as Promise<string[]>;
  }

  private async call(method: string, url: string, body?: unknown, tolerated: number[] = [], statusOnly = false): Promise<unknown> {
    const res = await this.http.request(method, url, body === undefined ? undefined : JSON.stringify(body));
    if (!ok(res.status) && !tolerated.includes(res.status)) {
      throw new PulsarAdminError(res.status, `${method} ${url}: HTTP ${res.status} ${reasonOf(res.text)}`);
    }
    if (statusOnly) return res.status;
    return res.text ? (JSON.parse(res.text) as unknown) : null;
  }
}

/** A message id answer as a whole entry's position; undefined for none (a 404, or -1 where the topic is empty). */
function entryPosition(answer: unknown): EntryPosition | undefined {
  const r = answer as { ledgerId?: number; entryId?: number } | null;
  if (!r || r.ledgerId === undefined || r.entryId === undefined || r.ledgerId < 0 || r.entryId < 0) return undefined;
  return { ledgerId: r.ledgerId, entryId: r.entryId, batchIndex: -1 };
}

const ok = (status: number): boolean => status >= 200 && status < 300;
const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
const enc = encodeURIComponent;
const path = (p: string): string => p.split('/').map(enc).join('/');
