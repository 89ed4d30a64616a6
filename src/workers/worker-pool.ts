import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from '../logger.js';
import type { SlotOwner } from '../cluster/cluster-view.js';
import { WORKER_ENV } from './worker-config.js';
import type { ConfigTables, PrimaryMessage, WorkerMessage, WorkerPorts } from './worker-messages.js';

/** The primary process of `rop --workers N`: it forks the workers and passes what they share between them. */
export interface WorkerPool {
  /** where worker 0, the one clients are configured with, answers */
  readonly first: WorkerPorts;
  readonly workers: WorkerPorts[];
  /** Stops every worker (SIGTERM) and resolves once all have exited. */
  stop(): Promise<void>;
  /** Called once when a worker exits that was not told to stop. */
  onWorkerLost(listener: (index: number, code: number | null) => void): void;
}

interface Change {
  origin: number;
  originId: number;
  waiting: Set<number>;
}

/** Forks `count` workers running `script` with `argv`; resolves once every one of them listens. */
export function startWorkerPool(script: string, argv: string[], count: number, log: Logger): Promise<WorkerPool> {
  const children: ChildProcess[] = [];
  const alive = new Set<number>();
  const tables = new Map<number, { id: number; tables: ConfigTables }>();
  const owners = new Map<number, SlotOwner>();
  const ports: Array<WorkerPorts | undefined> = [];
  const changes = new Map<number, Change>();
  let nextChangeId = 1;
  let stopping = false;
  let lost: ((index: number, code: number | null) => void) | undefined;
  const exits: Array<Promise<void>> = [];

  const send = (index: number, m: PrimaryMessage): void => {
    if (alive.has(index)) children[index]!.send(m);
  };
  const settleChange = (changeId: number): void => {
    const c = changes.get(changeId);
    if (!c || c.waiting.size > 0) return;
    changes.delete(changeId);
    send(c.origin, { t: 'reply', id: c.originId });
  };
  const exchangeIfComplete = (): void => {
    if ([...alive].some((i) => !tables.has(i))) return;
    const union: ConfigTables = { topics: [], groups: [] };
    for (const { tables: t } of tables.values()) {
      union.topics.push(...t.topics);
      union.groups.push(...t.groups);
    }
    for (const [index, { id }] of tables) send(index, { t: 'reply', id, tables: union });
  };

  return new Promise((resolve, reject) => {
    const started = (): void => {
      if (ports.filter(Boolean).length < count) return;
      resolve({
        first: ports[0]!,
        workers: ports as WorkerPorts[],
        onWorkerLost: (listener) => { lost = listener; },
        async stop() {
          stopping = true;
          for (const i of alive) children[i]!.kill('SIGTERM');
          await Promise.all(exits);
        },
      });
    };
    const receive = (index: number, m: WorkerMessage): void => {
      switch (m.t) {
        case 'tables':
          tables.set(index, { id: m.id, tables: m.tables });
          exchangeIfComplete();
          break;
        case 'change': {
          const changeId = nextChangeId++;
          const others = [...alive].filter((i) => i !== index);
          changes.set(changeId, { origin: index, originId: m.id, waiting: new Set(others) });
          for (const i of others) send(i, { t: 'apply', id: changeId, change: m.change });
          settleChange(changeId);
          break;
        }
        case 'applied': {
          changes.get(m.id)?.waiting.delete(index);
          settleChange(m.id);
          break;
        }
        case 'announce':
          owners.set(m.slot, m.owner);
          for (const i of alive) send(i, { t: 'owners', owners: [...owners] });
          break;
        case 'listening':
          ports[index] = m.ports;
          log.info({ worker: index, ...m.ports }, 'worker listening');
          started();
          break;
      }
    };
    const gone = (index: number, code: number | null): void => {
      alive.delete(index);
      // A change or table exchange must not wait for a worker that will never answer.
      for (const [id, c] of changes) {
        c.waiting.delete(index);
        settleChange(id);
      }
      if (stopping) return;
      if (ports.filter(Boolean).length < count) {
        stopping = true;
        for (const i of alive) children[i]!.kill('SIGTERM');
        void Promise.all(exits).then(() => reject(new Error(`worker ${index} exited with ${code} before it listened`)));
        return;
      }
      lost?.(index, code);
    };
    for (let index = 0; index < count; index++) {
      const child = fork(script, argv, { env: { ...process.env, [WORKER_ENV]: `${index}/${count}` }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      alive.add(index);
      child.on('message', (m: WorkerMessage) => receive(index, m));
      exits.push(new Promise((done) => child.once('exit', (code) => {
        gone(index, code);
        done();
      })));
    }
  });
}
