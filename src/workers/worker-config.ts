import { join } from 'node:path';
import type { GatewayConfig, WorkerPlace } from '../config.js';

/** The environment variable that makes a forked `rop` a worker: "index/count". */
export const WORKER_ENV = 'ROP_WORKER';

/** The worker place a process was forked into, or undefined in a process of its own. */
export function workerPlaceOf(env: NodeJS.ProcessEnv): WorkerPlace | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(env[WORKER_ENV] ?? '');
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return index < count ? { index, count } : undefined;
}

/**
 * A worker's settings: worker 0 is the gateway as configured (its ports, the admin server, the data dir, so a
 * single-process data dir keeps its data); the others listen on ports of their own choosing, with no admin server,
 * and keep their data in `workers/<i>` under the data dir.
 */
export function workerConfig(config: GatewayConfig, place: WorkerPlace): GatewayConfig {
  if (place.index === 0) return { ...config, worker: place };
  const advertisedHost = config.advertisedAddress?.slice(0, config.advertisedAddress.lastIndexOf(':'));
  return {
    ...config,
    worker: place,
    port: 0,
    httpPort: 0,
    dataDir: join(config.dataDir, 'workers', String(place.index)),
    advertisedAddress: advertisedHost === undefined ? undefined : `${advertisedHost}:0`,
  };
}
