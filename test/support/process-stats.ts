import { readFileSync, readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

/** Resident memory of process `pid` in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

/** Descriptors process `pid` has open. */
export const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

export const MiB = 1024 * 1024;

export const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 50 ms until it holds; false when `timeoutMs` passes first. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await wait(50);
  }
}

/** A TCP connection to 127.0.0.1:`port`, with `closedAt` set when it closes (whoever closed it). */
export interface Probe {
  socket: Socket;
  openedAt: number;
  closedAt?: number;
}

/** Opens one connection; rejects when it is not established in `timeoutMs`. Errors later only close it. */
export function openProbe(port: number, timeoutMs = 5000): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const probe: Probe = { socket, openedAt: Date.now() };
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connecting to port ${port} took over ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      probe.openedAt = Date.now();
      resolve(probe);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', () => undefined);
    socket.once('close', () => (probe.closedAt = Date.now()));
  });
}

/** Opens `count` connections, `batch` at a time (a burst of thousands at once overflows the listen backlog). */
export async function openProbes(port: number, count: number, batch = 100): Promise<Probe[]> {
  const probes: Probe[] = [];
  try {
    for (let i = 0; i < count; i += batch) {
      probes.push(...(await Promise.all(Array.from({ length: Math.min(batch, count - i) }, () => openProbe(port)))));
    }
  } catch (err) {
    for (const p of probes) p.socket.destroy();
    throw err;
  }
  return probes;
}

/** The q-quantile of `values` (0 < q < 1), nearest rank. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
