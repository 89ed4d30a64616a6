/**
 * Where a RocketMQ topic lives in Pulsar. RocketMQ names use [%|A-Za-z0-9_-]; Pulsar tenants and
 * namespaces allow [-=:.\w]. So:
 *  - a client namespace `a|b%T` selects tenant `a`, namespace `b`; `b%T` selects namespace `b` of the default tenant;
 *  - retry and dead-letter topics (`%RETRY%G`, `%DLQ%G`, also with a client namespace inside) stay in their
 *    group's namespace, and the `%` that RocketMQ cannot do without becomes `=`, which RocketMQ never uses,
 *    so the mapping is reversible.
 */
export interface PulsarLocation {
  tenant: string;
  namespace: string;
  /** Local topic name inside the namespace. */
  localName: string;
}

export interface MappingDefaults {
  tenant: string;
  namespace: string;
}

const SYSTEM_PREFIXES = ['%RETRY%', '%DLQ%'] as const;

export function locate(rocketTopic: string, defaults: MappingDefaults): PulsarLocation {
  let prefix = '';
  let rest = rocketTopic;
  for (const p of SYSTEM_PREFIXES) {
    if (rest.startsWith(p)) {
      prefix = p;
      rest = rest.slice(p.length);
      break;
    }
  }
  let tenant = defaults.tenant;
  let namespace = defaults.namespace;
  const nsEnd = rest.indexOf('%');
  if (nsEnd > 0) {
    const ns = rest.slice(0, nsEnd);
    rest = rest.slice(nsEnd + 1);
    const bar = ns.indexOf('|');
    if (bar > 0) {
      tenant = ns.slice(0, bar);
      namespace = ns.slice(bar + 1);
    } else {
      namespace = ns;
    }
  }
  return { tenant, namespace, localName: (prefix + rest).replace(/%/g, '=') };
}

/** The full Pulsar name of a RocketMQ topic (a partitioned topic; queue q is partition q). */
export function pulsarTopicName(rocketTopic: string, defaults: MappingDefaults): string {
  const l = locate(rocketTopic, defaults);
  return `persistent://${l.tenant}/${l.namespace}/${l.localName}`;
}

export const partitionName = (pulsarTopic: string, queueId: number): string => `${pulsarTopic}-partition-${queueId}`;

/** The RocketMQ name of a Pulsar topic that `pulsarTopicName` produced. */
export function rocketTopicName(pulsarTopic: string, defaults: MappingDefaults): string {
  const m = /^persistent:\/\/([^/]+)\/([^/]+)\/(.+)$/.exec(pulsarTopic);
  if (!m) throw new Error(`not a persistent topic name: ${pulsarTopic}`);
  const [, tenant, namespace, local] = m as unknown as [string, string, string, string];
  let name = local.replace(/=/g, '%');
  let prefix = '';
  for (const p of SYSTEM_PREFIXES) {
    if (name.startsWith(p)) {
      prefix = p;
      name = name.slice(p.length);
    }
  }
  let ns = '';
  if (tenant !== defaults.tenant) ns = `${tenant}|${namespace}%`;
  else if (namespace !== defaults.namespace) ns = `${namespace}%`;
  return prefix + ns + name;
}
