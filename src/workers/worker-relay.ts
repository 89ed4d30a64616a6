import type { SlotOwner } from '../cluster/cluster-view.js';
import type { ConfigTables, PrimaryMessage, WorkerMessage, WorkerMetrics, WorkerPorts } from './worker-messages.js';

/** A worker's request that every other worker answers: a config change to apply, or metrics to collect. */
interface PendingRound {
  origin: number;
  originId: number;
  waiting: Set<number>;
  /** the others' metrics, for a collection */
  metrics?: WorkerMetrics[];
}

/**
 * What the primary process does with its workers' messages: passes config changes on and answers the worker that
 * made one once every other has applied it, collects every other worker's metrics for the one that asks, answers a
 * table exchange once every worker has sent its tables, and sends every worker the slot owners whenever one
 * announces itself.
 */
export class WorkerRelay {
  private readonly alive = new Set<number>();
  private readonly tables = new Map<number, { id: number; tables: ConfigTables }>();
  private readonly owners = new Map<number, SlotOwner>();
  private readonly rounds = new Map<number, PendingRound>();
  private nextRoundId = 1;

  /** `send` delivers to worker `index`; `listening` hears of each worker that listens. */
  constructor(count: number, private readonly send: (index: number, m: PrimaryMessage) => void, private readonly listening: (index: number, ports: WorkerPorts) => void) {
    for (let i = 0; i < count; i++) this.alive.add(i);
  }

  receive(index: number, m: WorkerMessage): void {
    switch (m.t) {
      case 'tables':
        this.tables.set(index, { id: m.id, tables: m.tables });
        this.exchangeIfComplete();
        break;
      case 'change':
        this.round(index, m.id, (id) => ({ t: 'apply', id, change: m.change }));
        break;
      case 'applied':
        this.rounds.get(m.id)?.waiting.delete(index);
        this.settle(m.id);
        break;
      case 'metrics':
        this.round(index, m.id, (id) => ({ t: 'collect', id }), []);
        break;
      case 'metricsOf': {
        const r = this.rounds.get(m.id);
        if (r?.waiting.delete(index)) r.metrics?.push(m.metrics);
        this.settle(m.id);
        break;
      }
      case 'announce':
        this.owners.set(m.slot, m.owner);
        for (const i of this.alive) this.send(i, { t: 'owners', owners: [...this.owners] });
        break;
      case 'listening':
        this.listening(index, m.ports);
        break;
    }
  }

  /** A worker exited: nothing waits for its answers any more. */
  gone(index: number): void {
    this.alive.delete(index);
    for (const [id, r] of this.rounds) {
      r.waiting.delete(index);
      this.settle(id);
    }
    this.exchangeIfComplete();
  }

  /** Sends every other live worker the request `make` builds; the origin is answered once all have answered. */
  private round(origin: number, originId: number, make: (id: number) => PrimaryMessage, metrics?: WorkerMetrics[]): void {
    const id = this.nextRoundId++;
    const others = [...this.alive].filter((i) => i !== origin);
    this.rounds.set(id, { origin, originId, waiting: new Set(others), metrics });
    for (const i of others) this.send(i, make(id));
    this.settle(id);
  }

  private settle(id: number): void {
    const r = this.rounds.get(id);
    if (!r || r.waiting.size > 0) return;
    this.rounds.delete(id);
    if (this.alive.has(r.origin)) this.send(r.origin, { t: 'reply', id: r.originId, ...(r.metrics ? { metrics: r.metrics } : {}) });
  }

  private exchangeIfComplete(): void {
    if (this.tables.size === 0 || [...this.alive].some((i) => !this.tables.has(i))) return;
    const union: ConfigTables = { topics: [], groups: [] };
    for (const { tables } of this.tables.values()) {
      union.topics.push(...tables.topics);
      union.groups.push(...tables.groups);
    }
    for (const [index, { id }] of this.tables) if (this.alive.has(index)) this.send(index, { t: 'reply', id, tables: union });
    this.tables.clear();
  }
}
