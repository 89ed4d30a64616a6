import type { Logger } from '../logger.js';
import { PulsarClient } from '../pulsar/pulsar-client.js';
import { PulsarAdmin } from '../pulsar/admin.js';
import type { PulsarAuthentication } from '../pulsar/auth.js';
import type { PulsarTlsOptions } from '../pulsar/tls.js';
import { PulsarConsumer } from '../pulsar/consumer.js';
import { PulsarProducer } from '../pulsar/producer.js';
import { SystemTable } from '../store/pulsar/system-table.js';
import { slotBrokerName, type ClusterMembership, type OwnershipListener, type SlotOwner } from './cluster-view.js';

export interface PulsarClusterOptions {
  serviceUrl: string;
  adminUrl: string;
  /** Certificate checks of pulsar+ssl:// and https:// URLs. */
  tls?: PulsarTlsOptions;
  auth?: PulsarAuthentication;
  /** tenant/namespace of the gateways' own topics */
  systemNamespace: string;
  clusterName: string;
  brokerName: string;
  /** slots of the cluster when this gateway is the one that creates it; an existing cluster keeps its own */
  slotsIfNew: number;
  /** this gateway's identity among the others (its advertised address): Pulsar orders owners by it */
  gatewayId: string;
}

const OWNER_SUBSCRIPTION = 'rop-slot-owner';
/** How long a starting gateway waits for the cluster's slots to have owners before it says it is listening. */
const SETTLE_TIMEOUT_MS = 10_000;
const RETRY_CHANGE_MS = 1000;

/**
 * Slot ownership held with Pulsar's own primitives. The cluster is a partitioned control topic with one partition
 * per slot (its partition count is the slot count, so whoever creates the cluster first decides it, arbitrated by
 * Pulsar); every gateway subscribes to every partition under one Failover subscription, and the partition's active
 * consumer owns the slot. Pulsar spreads partitions evenly over the consumers (sorted by name, partition i to
 * consumer i mod n), moves a slot when its owner's connection ends, and spreads again when a gateway joins.
 * Owners announce their addresses in a compacted table that every gateway tails, so any of them can answer routes.
 */
export class PulsarCluster implements ClusterMembership {
  readonly clusterName: string;
  private readonly client: PulsarClient;
  private readonly admin: PulsarAdmin;
  private readonly owners: SystemTable<SlotOwner>;
  private readonly controlTopic: string;
  private readonly consumers: PulsarConsumer[] = [];
  private readonly changes = new Map<number, Promise<void>>();
  private readonly owned = new Set<number>();
  /** per owned slot, an exclusive producer on its control partition: held from before the slot is served until after it is released */
  private readonly fences = new Map<number, PulsarProducer>();
  /** per slot, the abort of a wait for its fence (Pulsar may take the slot away again meanwhile) */
  private readonly fenceWaits = new Map<number, AbortController>();
  private listener?: OwnershipListener;
  private count = 0;
  private leaving = false;

  constructor(private readonly o: PulsarClusterOptions, private readonly log: Logger) {
    this.clusterName = o.clusterName;
    this.client = new PulsarClient({ serviceUrl: o.serviceUrl, tls: o.tls, auth: o.auth });
    this.admin = new PulsarAdmin(o.adminUrl, { tls: o.tls, auth: o.auth });
    const base = `persistent://${o.systemNamespace}/${o.clusterName}`;
    this.controlTopic = `${base}-slots`;
    this.owners = new SystemTable<SlotOwner>(this.client, `${base}-slot-owners`, { mode: 'ordered' }, log);
  }

  get slots(): number {
    return this.count;
  }

  /** Learns (or on a new cluster, decides) the slot count and reads who owns what; call before `join`. */
  async open(): Promise<void> {
    const path = this.controlTopic.slice('persistent://'.length);
    await this.admin.ensurePartitionedTopic(path, this.o.slotsIfNew);
    this.count = await this.admin.partitionCount(path);
    if (this.count < 1) throw new Error(`${this.controlTopic} exists but is not a partitioned topic; it cannot hold the cluster's slots`);
    if (this.count !== this.o.slotsIfNew) {
      this.log.warn({ cluster: this.clusterName, slots: this.count, asked: this.o.slotsIfNew }, 'the cluster exists with another slot count; keeping the cluster\'s');
    }
    await this.owners.open();
  }

  brokerName(slot: number): string {
    return slotBrokerName(this.o.brokerName, this.count, slot);
  }

  owner(slot: number): SlotOwner | undefined {
    return this.owners.get(`slot-${slot}`);
  }

  async join(listener: OwnershipListener): Promise<void> {
    this.listener = listener;
    for (let slot = 0; slot < this.count; slot++) {
      this.consumers.push(await PulsarConsumer.subscribe(this.client, `${this.controlTopic}-partition-${slot}`, {
        subscription: OWNER_SUBSCRIPTION,
        subType: 'Failover',
        consumerName: this.o.gatewayId,
        receiverQueueSize: 1,
        onActiveChange: (active) => this.ownershipChanged(slot, active),
      }));
    }
    await this.settled(SETTLE_TIMEOUT_MS);
  }

  announce(slot: number, owner: SlotOwner): Promise<void> {
    return this.owners.set(`slot-${slot}`, owner);
  }

  /** Releases every owned slot before leaving the subscription, so a successor never overlaps this gateway. */
  async leave(): Promise<void> {
    this.leaving = true;
    for (const slot of [...this.owned]) this.ownershipChanged(slot, false);
    await Promise.all(this.changes.values());
    await Promise.all(this.consumers.map((c) => c.close()));
    await this.owners.close();
    await this.client.close();
    this.admin.close();
  }

  /**
   * Waits until the slot's previous owner has let go of it: its fence producer is closed after it released the
   * slot (or went with its connection), so the two never serve the slot at the same time, even when Pulsar tells
   * the new owner before the old one.
   */
  private async takeFence(slot: number): Promise<boolean> {
    // Held already when taking the slot failed after the fence and is being tried again.
    if (this.fences.has(slot)) return true;
    const abort = new AbortController();
    this.fenceWaits.set(slot, abort);
    try {
      this.fences.set(slot, await PulsarProducer.create(this.client, `${this.controlTopic}-partition-${slot}`, {
        accessMode: 'WaitForExclusive',
        signal: abort.signal,
        onFenced: () => this.log.warn({ slot }, 'another gateway took this broker slot\'s fence'),
      }));
      return true;
    } catch (err) {
      // Pulsar gave the slot to another gateway before the previous owner let go: nothing to take.
      if (abort.signal.aborted) return false;
      throw err;
    } finally {
      this.fenceWaits.delete(slot);
    }
  }

  private async dropFence(slot: number): Promise<void> {
    const fence = this.fences.get(slot);
    this.fences.delete(slot);
    await fence?.close();
  }

  /**
   * Waits (up to `timeoutMs`) until Pulsar has told this gateway, for every slot, whether it owns it; until it has
   * taken the slots it owns; and until every other slot has been announced by another gateway (a claim of this
   * gateway's previous life does not count), so a gateway that says it is listening answers routes for the cluster.
   */
  private async settled(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const known = (slot: number): boolean => {
      const active = this.consumers[slot]?.active;
      if (active === undefined) return false;
      const owner = this.owner(slot);
      return active ? this.owned.has(slot) && owner?.gateway === this.o.gatewayId : owner !== undefined && owner.gateway !== this.o.gatewayId;
    };
    const allKnown = (): boolean => this.consumers.every((_, slot) => known(slot));
    while (Date.now() < deadline && !allKnown()) {
      await Promise.all(this.changes.values());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await Promise.all(this.changes.values());
    if (!allKnown()) this.log.warn({ cluster: this.clusterName }, 'some broker slots have no known owner yet; routes leave them out until one takes them');
  }

  private ownershipChanged(slot: number, active: boolean): void {
    const owned = active && !this.leaving;
    if (!owned) this.fenceWaits.get(slot)?.abort();
    const previous = this.changes.get(slot) ?? Promise.resolve();
    const next = previous.then(async () => {
      if (owned === this.owned.has(slot)) return;
      if (owned) {
        if (!(await this.takeFence(slot))) return;
        this.owned.add(slot);
      } else {
        this.owned.delete(slot);
      }
      this.log.info({ slot, broker: this.brokerName(slot), owned }, owned ? 'this gateway now owns a broker slot' : 'this gateway no longer owns a broker slot');
      try {
        await this.listener?.(slot, owned);
      } finally {
        if (!owned) await this.dropFence(slot);
      }
    }).catch((err) => {
      this.log.error({ err, slot, owned }, 'broker slot change failed; trying again');
      // Pulsar still says what it said: take (or let go of) the slot again rather than hold it unserved.
      this.owned.delete(slot);
      if (owned) setTimeout(() => this.ownershipChanged(slot, this.consumers[slot]?.active === true), RETRY_CHANGE_MS).unref();
    });
    this.changes.set(slot, next);
  }
}
