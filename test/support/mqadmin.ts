import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, testBrokerNames } from './gateway.js';

const MQADMIN_TIMEOUT_MS = 30_000;

/**
 * Runs Apache RocketMQ's `mqadmin <args> -n <namesrv>` (scripts/mqadmin.mjs) and returns what it printed: it reports
 * failures in its output and exits 0. `cwd` is where commands that write files (consumerStatus) write them; `env`
 * may pick another version (MQADMIN_VERSION, with its own MQADMIN_HOME).
 */
export function mqadmin(namesrv: string, args: string[], cwd = repoRoot, env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'mqadmin.mjs'), ...args, '-n', namesrv], {
      cwd,
      env: { ...process.env, MQADMIN_HOME: process.env.MQADMIN_HOME ?? join(repoRoot, '.cache', 'mqadmin'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => out.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), MQADMIN_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal) reject(new Error(`mqadmin ${args[0]} was killed (${signal}) after ${MQADMIN_TIMEOUT_MS} ms: ${out.join('')}`));
      else resolve(out.join(''));
    });
  });
}

/** mqadmin output of a command that should have worked. */
export async function mqadminOk(namesrv: string, args: string[], cwd?: string): Promise<string> {
  const out = await mqadmin(namesrv, args, cwd);
  assert.doesNotMatch(out, /Exception|not exist\./, `mqadmin ${args.join(' ')} failed:\n${out}`);
  return out;
}

/** Rows of a table mqadmin printed, split on blanks, whose first cell is `first`. */
export const rows = (out: string, first: string): string[][] =>
  out.split('\n').map((l) => l.trim().split(/\s+/)).filter((cells) => cells[0] === first);

/** The rows mqadmin printed for the test gateway's brokers (their first cell is a broker name). */
export const brokerRows = (out: string): string[][] => testBrokerNames.flatMap((b) => rows(out, b));

/** A queue as `<broker>/<queueId>`: queue ids are per broker. */
export const queueKey = (broker: unknown, queueId: unknown): string => `${String(broker)}/${String(queueId)}`;

/** Every queue of a topic with `queues` queues per broker, in the order mqadmin prints them (by broker, then id). */
export const queueKeys = (queues: number): string[] => testBrokerNames.flatMap((b) => Array.from({ length: queues }, (_, q) => queueKey(b, q)));
