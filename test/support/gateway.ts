import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createServer } from 'node:net';
import { pulsarAdminUrl, pulsarServiceUrl } from './pulsar.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/test/support → repo root */
export const repoRoot = join(here, '..', '..', '..');
export const cliPath = join(repoRoot, 'dist', 'src', 'cli.js');

export interface GatewayProcess {
  /** host:port that clients use as namesrvAddr (and that route data advertises) */
  readonly address: string;
  readonly port: number;
  readonly dataDir: string;
  /** tenant/namespace of its topics when it runs on the Pulsar store */
  readonly pulsarNamespace?: string;
  /** http://127.0.0.1:port of the admin HTTP server, when started with `http: true` */
  readonly httpUrl?: string;
  /** 127.0.0.1:port of the gRPC endpoint for RocketMQ 5 clients, when started with `grpc: true` */
  readonly grpcAddress?: string;
  readonly child: ChildProcess;
  /** every JSON log line the gateway printed so far */
  readonly logs: Array<Record<string, unknown>>;
  /** SIGTERM and wait for exit; resolves with the exit code */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit */
  kill(): Promise<void>;
  /** remove the data dir (only when this helper created it) */
  cleanup(): void;
}

export interface GatewayOptions {
  dataDir?: string;
  port?: number;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
  /** start the admin HTTP server on a free port (off otherwise, so that gateways never contend for 8080) */
  http?: boolean;
  /** start the gRPC endpoint on a free port (off otherwise) */
  grpc?: boolean;
  /**
   * On the Pulsar store, the namespace name its topics and system tables take instead of one derived from the data
   * dir: gateways given the same name share a Pulsar namespace and so form one cluster.
   */
  sharedNamespace?: string;
  /** a command the gateway's node runs under, e.g. ['prlimit', '--nofile=1024:1024'] (it must exec node in place) */
  wrapper?: string[];
}

/** A port nothing listens on right now: bound and released, as the CLI takes 0 for "no admin server". */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The store the e2e suite runs against: ROP_TEST_STORE=pulsar runs it on the Pulsar standalone of
 * `npm run pulsar:start`. Each data dir gets namespaces of its own, so a restart on the same data dir
 * finds its topics and offsets again while other tests stay apart.
 */
export const testStore = process.env.ROP_TEST_STORE === 'pulsar' ? 'pulsar' : 'embedded';

/** ROP_TEST_WORKERS=n runs every gateway the suites start as `rop --workers n` (a test's own --workers wins). */
const workerArgs = (): string[] => (process.env.ROP_TEST_WORKERS ? ['--workers', process.env.ROP_TEST_WORKERS] : []);

/** The workers of each gateway the suites start: 1 unless ROP_TEST_WORKERS says more. */
export const testWorkers = Math.max(1, Number(process.env.ROP_TEST_WORKERS ?? 1));

/** The broker names of a gateway with the default --broker-name: `rop-broker`, or one per worker, `rop-broker-<i>`. */
export const testBrokerNames: readonly string[] = testWorkers > 1 ? Array.from({ length: testWorkers }, (_, i) => `rop-broker-${i}`) : ['rop-broker'];

/**
 * Why a test is skipped under ROP_TEST_WORKERS > 1, or false: the admin HTTP API, /metrics and traces speak for
 * worker 0 only (README, Workers), so a test that reads a whole load back from them cannot pass there yet.
 */
export const adminOfWorkerZeroOnly: string | false = testWorkers > 1
  && 'with --workers the admin API, /metrics and traces speak for worker 0 only (README, Workers)';

/**
 * Why a test is skipped under ROP_TEST_WORKERS > 1, or false: it audits one broker's queues by queue id at one
 * address across a restart on the same port, which a cluster of workers (queue ids per broker, workers' ports
 * picked anew) does not fit; workers.test.ts covers a killed primary.
 */
export const oneBrokerOnly: string | false = testWorkers > 1
  && 'audits one broker\'s queues by id across a restart on the same port';

const pulsarNamespaceFor = (dataDir: string): string => `e2e-${basename(dataDir).replace(/[^-\w]/g, '')}`;

function storeArgs(dataDir: string, shared?: string): string[] {
  if (testStore !== 'pulsar') return [];
  const ns = shared ?? pulsarNamespaceFor(dataDir);
  return [
    '--store', 'pulsar',
    '--pulsar-url', pulsarServiceUrl,
    '--pulsar-admin-url', pulsarAdminUrl,
    '--pulsar-namespace', ns,
    '--pulsar-system-namespace', `rocketmq/${ns}-sys`,
  ];
}

/** Starts `rop` as a child process on 127.0.0.1 (ephemeral port unless given) and waits for its "listening" log line. */
export async function startGateway(opts: GatewayOptions = {}): Promise<GatewayProcess> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'rop-test-'));
  const httpPort = opts.http ? await freePort() : 0;
  const grpcPort = opts.grpc ? await freePort() : 0;
  const args = [cliPath, '--host', '127.0.0.1', '--port', String(opts.port ?? 0), '--http-port', String(httpPort), '--grpc-port', String(grpcPort), '--data-dir', dataDir, ...storeArgs(dataDir, opts.sharedNamespace), ...workerArgs(), ...(opts.args ?? [])];
  const [command, ...prefix] = [...(opts.wrapper ?? []), process.execPath];
  const child = spawn(command!, [...prefix, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  const logs: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (process.env.ROP_TEST_LOG_DIR) mkdirSync(process.env.ROP_TEST_LOG_DIR, { recursive: true });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start in time; stderr: ${stderr.join('')}`)), opts.startTimeoutMs ?? 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let rec: Record<string, unknown>;
      try { rec = JSON.parse(line) as Record<string, unknown>; } catch { return; }
      logs.push(rec);
      // ROP_TEST_LOG_DIR keeps every gateway's log, one file per gateway, for a failure that needs reading them.
      if (process.env.ROP_TEST_LOG_DIR) appendFileSync(join(process.env.ROP_TEST_LOG_DIR, `gateway-${child.pid}.log`), `${line}\n`);
      if (rec.msg === 'rop listening' && typeof rec.port === 'number') { clearTimeout(timer); resolve(rec.port); }
    });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`gateway exited with ${code} before listening; stderr: ${stderr.join('')}`)); });
  }).catch((err: unknown) => {
    // A gateway that never came up must not outlive the test that started it.
    child.kill('SIGKILL');
    throw err;
  });
  return {
    address: `127.0.0.1:${port}`,
    port,
    dataDir,
    ...(testStore === 'pulsar' ? { pulsarNamespace: `rocketmq/${opts.sharedNamespace ?? pulsarNamespaceFor(dataDir)}` } : {}),
    ...(opts.http ? { httpUrl: `http://127.0.0.1:${httpPort}` } : {}),
    ...(opts.grpc ? { grpcAddress: `127.0.0.1:${grpcPort}` } : {}),
    child,
    logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    cleanup() {
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
