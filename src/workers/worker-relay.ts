import type { SlotOwner } from '../cluster/cluster-view.js';
import type { ConfigTables, PrimaryMessage, WorkerMessage, WorkerPorts } from './worker-messages.js';

interface PendingChange {
  origin: number;
  originId: number;
  waiting: Set<number>;
}

/**
 * What the primary process does with its workers' messages: passes config changes on and answers the worker that
 * made one once every other has applied it, answers a table exchange once every worker has sent its tables, and
 * sends every worker the slot owners whenever one announces itself.
 */
export class WorkerRelay {
  private readonly alive = new Set<number>();
  private readonly tables = new Map<number, { id: number; tables: ConfigTables }>();
  private readonly owners = new Map<number, SlotOwner>();
  private readonly changes = new Map<number, PendingChange>();
  private nextChangeId = 1;

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
      case 'change': {
        const id = this.nextChangeId++;
        const others = [...this.alive].filter((i) => i !== index);
        this.changes.set(id, { origin: index, originId: m.id, waiting: new Set(others) });
        for (const i of others) this.send(i, { t: 'apply', id, change: m.change });
        this.settle(id);
        break;
      }
      case 'applied':
        this.changes.get(m.id)?.waiting.delete(index);
        this.settle(m.id);
        break;
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
    for (const [id, c] of this.changes) {
      c.waiting.delete(index);
      this.settle(id);
    }
    this.exchangeIfComplete();
  }

  private settle(id: number): void {
    const c = this.changes.get(id);
    if (!c || c.waiting.size > 0) return;
    this.changes.delete(id);
    if (this.alive.has(c.origin)) this.send(c.origin, { t: 'reply', id: c.originId });
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
