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

/**
 * One run of the 5.x harness (Apache RocketMQ's 5.x Java client over gRPC): `produce`, `simple-consume` or
 * `push-consume` against `--endpoints`, plaintext unless `tls: true`. Every command ends by itself.
 */
export class Java5Harness extends JarProcess {
  static start(command: 'produce' | 'simple-consume' | 'push-consume', options: HarnessOptions): Java5Harness {
    return new Java5Harness(spawnJar(harness5Jar, command, options), command);
  }

  /** Runs a command to completion and returns its events; fails on a non-zero exit. */
  static run(command: 'produce' | 'simple-consume' | 'push-consume', options: HarnessOptions, timeoutMs = 60_000): Promise<HarnessEvent[]> {
    return Java5Harness.start(command, options).finish(timeoutMs);
  }

  get received(): Received5[] {
    return this.of('received') as unknown as Received5[];
  }
}

/** The deliveries a 5.x consumer run reported, in arrival order. */
export const received5 = (events: HarnessEvent[]): Received5[] => events.filter((e) => e.event === 'received') as unknown as Received5[];
