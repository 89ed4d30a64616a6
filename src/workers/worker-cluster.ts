import { slotBrokerName, type ClusterMembership, type OwnershipListener, type SlotOwner } from '../cluster/cluster-view.js';
import type { Logger } from '../logger.js';
import type { WorkerLink } from './worker-link.js';

/** How long a starting worker waits for every other worker to serve its slot before it says it is listening. */
const SETTLE_TIMEOUT_MS = 20_000;

/**
 * The workers of one `rop --workers N` on the embedded store as the brokers of one cluster: worker i owns slot i
 * for good, with a store of its own, and every worker answers routes for all of them from the owner table the
 * primary process passes around.
 */
export class WorkerCluster implements ClusterMembership {
  readonly slots: number;
  /** Each slot's data is in its own worker's store: a slot's queues are that store's, not a stripe of a shared one. */
  readonly storePerSlot = true;
  private owners = new Map<number, SlotOwner>();
  private listener?: OwnershipListener;
  private readonly settledWaiters: Array<() => void> = [];

  constructor(
    readonly clusterName: string,
    private readonly baseName: string,
    private readonly index: number,
    count: number,
    private readonly link: WorkerLink,
    private readonly log: Logger,
  ) {
    this.slots = count;
    link.onOwners((owners) => {
      this.owners = owners;
      if (this.settled()) this.settledWaiters.splice(0).forEach((wake) => wake());
    });
  }

  brokerName(slot: number): string {
    return slotBrokerName(this.baseName, this.slots, slot);
  }

  owner(slot: number): SlotOwner | undefined {
    return this.owners.get(slot);
  }

  async join(listener: OwnershipListener): Promise<void> {
    this.listener = listener;
    await listener(this.index, true);
    if (this.settled()) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.log.warn({ cluster: this.clusterName }, 'some workers serve no slot yet; routes leave them out until they do');
        resolve();
      }, SETTLE_TIMEOUT_MS);
      this.settledWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async announce(slot: number, owner: SlotOwner): Promise<void> {
    this.owners.set(slot, owner);
    this.link.announce(slot, owner);
  }

  async leave(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    await listener?.(this.index, false);
  }

  private settled(): boolean {
    for (let slot = 0; slot < this.slots; slot++) if (!this.owners.has(slot)) return false;
    return true;
  }
}
