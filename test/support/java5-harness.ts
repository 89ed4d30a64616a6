import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repoRoot } from './gateway.js';
import { JarProcess, spawnJar, type HarnessEvent, type HarnessOptions } from './jar-process.js';

export const harness5Jar = join(repoRoot, 'test', 'harness', 'java5', 'target', 'rop-java5-harness.jar');

/** A `received` line of the 5.x harness: what the client's MessageView showed. */
export interface Received5 {
  msgId: string;
  topic: string;
  tag: string | null;
  keys: string[];
  /** The body decoded as UTF-8. */
  body: string;
  /** The body byte for byte. */
  bodyBase64: string;
  properties: Record<string, string>;
  deliveryAttempt: number;
  messageGroup: string | null;
  deliveryTimestamp: number | null;
  bornTimestamp: number;
}

export type Java5Command = 'produce' | 'tx-produce' | 'simple-consume' | 'push-consume';

/**
 * One run of the 5.x harness (Apache RocketMQ's 5.x Java client over gRPC): `produce`, `tx-produce`,
 * `simple-consume` or `push-consume` against `--endpoints`, plaintext unless `tls: true`. Every command ends by
 * itself, except `tx-produce` and `push-consume --stay`, which wait for stdin to close (`stop()`).
 */
export class Java5Harness extends JarProcess {
  static start(command: Java5Command, options: HarnessOptions): Java5Harness {
    return new Java5Harness(spawnJar(harness5Jar, command, options), command);
  }

  /** Runs a command to completion and returns its events; fails on a non-zero exit. */
  static run(command: Java5Command, options: HarnessOptions, timeoutMs = 60_000): Promise<HarnessEvent[]> {
    return Java5Harness.start(command, options).finish(timeoutMs);
  }

  get received(): Received5[] {
    return this.of('received') as unknown as Received5[];
  }
}

/** The deliveries a 5.x consumer run reported, in arrival order. */
export const received5 = (events: HarnessEvent[]): Received5[] => events.filter((e) => e.event === 'received') as unknown as Received5[];

/** The deliveries of each message id, in arrival order. */
export function byId(got: Received5[]): Map<string, Received5[]> {
  const m = new Map<string, Received5[]>();
  for (const r of got) m.set(r.msgId, [...(m.get(r.msgId) ?? []), r]);
  return m;
}

/** What the 5.x harness's `produce` (and `tx-produce`) puts in message i, as a 5.x or a 4.x consumer reports it. */
export function assertProduced5(m: { body?: unknown; bodyBase64?: unknown; props?: unknown; properties?: unknown }, i: number): void {
  const body = m.bodyBase64 === undefined ? m.body : Buffer.from(m.bodyBase64 as string, 'base64').toString('utf8');
  assert.equal(body, `body-${i}`);
  const props = (m.properties ?? m.props) as Record<string, string>;
  assert.equal(props.idx, String(i));
  assert.equal(props['p-utf8'], `值-ü-${i}`);
}
