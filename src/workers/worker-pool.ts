import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from '../logger.js';
import { WORKER_ENV } from './worker-config.js';
import { WorkerRelay } from './worker-relay.js';
import type { WorkerMessage, WorkerPorts } from './worker-messages.js';

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

/** Forks `count` workers running `script` with `argv`; resolves once every one of them listens. */
export function startWorkerPool(script: string, argv: string[], count: number, log: Logger): Promise<WorkerPool> {
  const children: ChildProcess[] = [];
  const ports: Array<WorkerPorts | undefined> = [];
  const exits: Array<Promise<void>> = [];
  const running = (): ChildProcess[] => children.filter((c) => c.exitCode === null && c.signalCode === null);
  let stopping = false;
  let lost: ((index: number, code: number | null) => void) | undefined;
  const stopAll = async (): Promise<void> => {
    stopping = true;
    for (const c of running()) c.kill('SIGTERM');
    await Promise.all(exits);
  };

  return new Promise((resolve, reject) => {
    const relay = new WorkerRelay(count, (index, m) => {
      if (children[index]?.connected) children[index]!.send(m);
    }, (index, listening) => {
      ports[index] = listening;
      log.info({ worker: index, ...listening }, 'worker listening');
      if (ports.filter(Boolean).length === count) {
        resolve({ first: ports[0]!, workers: ports as WorkerPorts[], onWorkerLost: (l) => { lost = l; }, stop: stopAll });
      }
    });
    const gone = (index: number, code: number | null): void => {
      relay.gone(index);
      if (stopping) return;
      if (ports.filter(Boolean).length < count) {
        void stopAll().then(() => reject(new Error(`worker ${index} exited with ${code} before it listened`)));
        return;
      }
      lost?.(index, code);
    };
    for (let index = 0; index < count; index++) {
      const child = fork(script, argv, { env: { ...process.env, [WORKER_ENV]: `${index}/${count}` }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      child.on('message', (m: WorkerMessage) => relay.receive(index, m));
      exits.push(new Promise((done) => child.once('exit', (code) => {
        gone(index, code);
        done();
      })));
    }
  });
}
