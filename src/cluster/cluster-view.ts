/** Where clients reach the gateway that owns a broker slot. */
export interface SlotOwner {
  /** the owning gateway's identity (its advertised remoting address) */
  gateway: string;
  /** remoting address clients send this slot's requests to */
  address: string;
  /** host:port of the owner's gRPC endpoint, when it has one */
  grpcAddress?: string;
  /** when the owner took the slot (epoch ms) */
  since: number;
}

/**
 * The RocketMQ cluster as the name-server role answers for it: a fixed number of broker slots, each a broker with
 * a stable name, and which gateway serves each one now.
 */
export interface ClusterView {
  readonly clusterName: string;
  readonly slots: number;
  /** true when every slot keeps its data in a store of its own (workers); else the slots stripe one shared store */
  readonly storePerSlot?: boolean;
  brokerName(slot: number): string;
  /** the gateway serving `slot` now, or undefined while none is */
  owner(slot: number): SlotOwner | undefined;
}

/** Told when this gateway gains or loses a slot; the next change of that slot waits for the promise. */
export type OwnershipListener = (slot: number, owned: boolean) => Promise<void>;

/** How a cluster decides which gateway serves which slot. */
export interface ClusterMembership extends ClusterView {
  /** Starts taking part: `listener` hears of every slot this gateway gains or loses. */
  join(listener: OwnershipListener): Promise<void>;
  /** Tells the others where this gateway serves `slot` (called once the slot is served). */
  announce(slot: number, owner: SlotOwner): Promise<void>;
  /** Hands every slot over (each is released through the listener first) and stops taking part. */
  leave(): Promise<void>;
}

/** A broker slot's name: a one-slot cluster keeps the broker name it was given; a larger one numbers its slots. */
export const slotBrokerName = (brokerName: string, slots: number, slot: number): string => (slots === 1 ? brokerName : `${brokerName}-${slot}`);

/** A cluster of one gateway that owns its only slot for good: the embedded store. */
export class SingleGatewayCluster implements ClusterMembership {
  readonly slots = 1;
  private current?: SlotOwner;
  private listener?: OwnershipListener;

  constructor(readonly clusterName: string, private readonly name: string) {}

  brokerName(): string {
    return this.name;
  }

  owner(): SlotOwner | undefined {
    return this.current;
  }

  async join(listener: OwnershipListener): Promise<void> {
    this.listener = listener;
    await listener(0, true);
  }

  async announce(_slot: number, owner: SlotOwner): Promise<void> {
    this.current = owner;
  }

  async leave(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    await listener?.(0, false);
  }
}
