import type { ConfigChange, ConfigTables, PrimaryMessage, WorkerMessage, WorkerMetrics, WorkerPorts } from './worker-messages.js';
import type { SlotOwner } from '../cluster/cluster-view.js';

type Send = (message: WorkerMessage) => void;
type Reply = Extract<PrimaryMessage, { t: 'reply' }>;

/**
 * A worker's channel to the primary process (Node's IPC channel of a forked child): requests that the primary
 * answers once every worker has done its part, and the changes and owner tables it passes on from the others.
 */
export class WorkerLink {
  private readonly pending = new Map<number, (reply?: Reply) => void>();
  private nextId = 1;
  private applier?: (change: ConfigChange) => Promise<void>;
  private metricsSource?: () => Promise<WorkerMetrics>;
  private readonly ownerListeners: Array<(owners: Map<number, SlotOwner>) => void> = [];

  constructor(private readonly send: Send) {}

  private static own?: WorkerLink;

  /** The link of this process, which is a worker forked with an IPC channel (one link per process). */
  static ofProcess(): WorkerLink {
    if (WorkerLink.own) return WorkerLink.own;
    const send = process.send?.bind(process);
    if (!send) throw new Error('a worker needs the IPC channel of the process that forked it');
    const link = (WorkerLink.own = new WorkerLink((m) => void send(m)));
    process.on('message', (m: PrimaryMessage) => link.receive(m));
    return link;
  }

  /** Sends this worker's tables; resolves with every worker's tables together, once all have sent theirs. */
  exchangeTables(tables: ConfigTables): Promise<ConfigTables> {
    return this.request((id) => ({ t: 'tables', id, tables })).then((r) => r?.tables ?? { topics: [], groups: [] });
  }

  /**
   * Every other worker's metrics, as many as answered within `timeoutMs`: a scrape must not hang on a worker whose
   * event loop is held up.
   */
  otherWorkersMetrics(timeoutMs: number): Promise<WorkerMetrics[]> {
    return this.request((id) => ({ t: 'metrics', id }), timeoutMs).then((r) => r?.metrics ?? []);
  }

  /** Where this worker's metrics come from when another worker collects them. */
  onMetrics(source: () => Promise<WorkerMetrics>): void {
    this.metricsSource = source;
  }

  /** Resolves once every other worker has applied `change`. */
  async publish(change: ConfigChange): Promise<void> {
    await this.request((id) => ({ t: 'change', id, change }));
  }

  /** How changes made by other workers are applied here. */
  onChange(apply: (change: ConfigChange) => Promise<void>): void {
    this.applier = apply;
  }

  announce(slot: number, owner: SlotOwner): void {
    this.send({ t: 'announce', slot, owner });
  }

  onOwners(listener: (owners: Map<number, SlotOwner>) => void): void {
    this.ownerListeners.push(listener);
  }

  listening(ports: WorkerPorts): void {
    this.send({ t: 'listening', ports });
  }

  receive(m: PrimaryMessage): void {
    if (m.t === 'reply') {
      const done = this.pending.get(m.id);
      this.pending.delete(m.id);
      done?.(m);
    } else if (m.t === 'collect') {
      // Answered even without a source or when it fails: the collecting worker must not wait for ever.
      const answer = (metrics: WorkerMetrics): void => this.send({ t: 'metricsOf', id: m.id, metrics });
      (this.metricsSource ? this.metricsSource() : Promise.resolve([])).then(answer, () => answer([]));
    } else if (m.t === 'apply') {
      // Answered even when applying fails (the applier reports its own failures): the worker that made the change
      // must not wait for ever.
      const applied = (): void => this.send({ t: 'applied', id: m.id });
      (this.applier ? this.applier(m.change) : Promise.resolve()).then(applied, applied);
    } else {
      const owners = new Map(m.owners);
      for (const l of this.ownerListeners) l(owners);
    }
  }

  /** Resolves with the primary's reply, or with nothing once `timeoutMs` (when given) has passed without one. */
  private request(make: (id: number) => WorkerMessage, timeoutMs?: number): Promise<Reply | undefined> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.send(make(id));
    });
  }
}
