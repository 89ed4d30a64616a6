import { WorkerLink } from '../../src/workers/worker-link.js';
import { WorkerRelay } from '../../src/workers/worker-relay.js';
import type { WorkerPorts } from '../../src/workers/worker-messages.js';

/** Workers wired to one relay as the IPC channel wires them: every message crosses a turn of the event loop. */
export function wiredWorkers(count: number): { links: WorkerLink[]; relay: WorkerRelay; listening: Map<number, WorkerPorts> } {
  const links: WorkerLink[] = [];
  const listening = new Map<number, WorkerPorts>();
  const relay = new WorkerRelay(count, (i, m) => setImmediate(() => links[i]!.receive(m)), (i, ports) => listening.set(i, ports));
  for (let i = 0; i < count; i++) links.push(new WorkerLink((m) => setImmediate(() => relay.receive(i, m))));
  return { links, relay, listening };
}
