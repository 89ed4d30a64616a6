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

/** The few Pulsar admin REST (v2) calls the gateway needs: tenants, namespaces with retention, partitioned topics. */
export class PulsarAdmin {
  private readonly base: string;

  constructor(adminUrl: string, private readonly timeoutMs = 30_000) {
    this.base = adminUrl.replace(/\/+$/, '');
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

  /** Creates a partitioned topic; an existing one is left as is. `topic` is `tenant/namespace/name`. */
  async ensurePartitionedTopic(topic: string, partitions: number): Promise<void> {
    await this.call('PUT', `/admin/v2/persistent/${path(topic)}/partitions`, partitions, [409]);
  }

  async partitionCount(topic: string): Promise<number> {
    const r = (await this.call('GET', `/admin/v2/persistent/${path(topic)}/partitions`)) as { partitions: number };
    return r.partitions;
  }

  /** Grows a partitioned topic (Pulsar cannot shrink one). */
  updatePartitions(topic: string, partitions: number): Promise<unknown> {
    return this.call('POST', `/admin/v2/persistent/${path(topic)}/partitions`, partitions);
  }

  deletePartitionedTopic(topic: string, force = false): Promise<unknown> {
    return this.call('DELETE', `/admin/v2/persistent/${path(topic)}/partitions?force=${force}`, undefined, [404]);
  }

  topics(namespace: string): Promise<string[]> {
    return this.call('GET', `/admin/v2/persistent/${path(namespace)}/partitioned`) as Promise<string[]>;
  }

  private async call(method: string, url: string, body?: unknown, tolerated: number[] = [], statusOnly = false): Promise<unknown> {
    const res = await fetch(this.base + url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    if (!res.ok && !tolerated.includes(res.status)) {
      let reason = text;
      try { reason = (JSON.parse(text) as { reason?: string }).reason ?? text; } catch { /* plain-text error body */ }
      throw new PulsarAdminError(res.status, `${method} ${url}: HTTP ${res.status} ${reason}`);
    }
    if (statusOnly) return res.status;
    return text ? (JSON.parse(text) as unknown) : null;
  }
}

const enc = encodeURIComponent;
const path = (p: string): string => p.split('/').map(enc).join('/');
