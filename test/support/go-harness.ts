import { join } from 'node:path';
import { repoRoot } from './gateway.js';
import { JarProcess, spawnBinary, type HarnessEvent, type HarnessOptions } from './jar-process.js';

export type { HarnessEvent };

export const goHarnessBinary = join(repoRoot, 'test', 'harness', 'go4', 'bin', 'rop-go4-harness');

export type GoCommand = 'produce' | 'push-consume';

/**
 * One run of the Go harness (Apache RocketMQ's Go client v2.1.2, the 4.x remoting protocol), with every JSON event it
 * printed, in the Java harness's shapes (`sent`, `done`, `ready`, `msg`, `stopped`, `error`): `produce` ends by
 * itself; `push-consume` runs until stdin closes (`stop()`) or its `timeout-ms`.
 */
export class GoHarness extends JarProcess {
  /** Starts `rop-go4-harness <command> --key value ...`; `true` is a bare flag (`'filter-props': true`). */
  static start(command: GoCommand, options: HarnessOptions): GoHarness {
    return new GoHarness(spawnBinary(goHarnessBinary, command, options, 'run "npm run go-peers" (needs Go)'), command);
  }

  /** Runs a command to completion and returns its events; fails on a non-zero exit. */
  static run(command: GoCommand, options: HarnessOptions, timeoutMs = 60_000): Promise<HarnessEvent[]> {
    return GoHarness.start(command, options).finish(timeoutMs);
  }
}
