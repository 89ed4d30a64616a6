import { join } from 'node:path';
import { repoRoot } from './gateway.js';
import { JarProcess, spawnJar, type HarnessEvent } from './jar-process.js';

export type { HarnessEvent };

export const harnessJar = join(repoRoot, 'test', 'harness', 'java', 'target', 'rop-java-harness.jar');

/** One run of the Java harness (Apache RocketMQ's 4.x Java client), with every JSON event it printed. */
export class JavaHarness extends JarProcess {
  /** Starts `java -jar rop-java-harness.jar <command> --key value ...`. */
  static start(command: string, options: Record<string, string | number>, jvmArgs: string[] = []): JavaHarness {
    return new JavaHarness(spawnJar(harnessJar, command, options, jvmArgs), command);
  }

  /** Runs a command to completion and returns its events; fails on a non-zero exit. `jvmArgs` such as -Dtls.enable=true. */
  static run(command: string, options: Record<string, string | number>, timeoutMs = 60_000, jvmArgs: string[] = []): Promise<HarnessEvent[]> {
    return JavaHarness.start(command, options, jvmArgs).finish(timeoutMs);
  }
}

/** What message i of a harness `produce` run carries, for byte-for-byte comparison. */
export function expectedMessage(i: number, tags: string[], bodySize = 0): { body: Buffer; tags: string | null; keys: string; props: Record<string, string> } {
  const text = Buffer.from(`body-${i}-ünïcødé-✓-`, 'utf8');
  const raw = Buffer.from([i & 0xff, 0, 0xff, 0x80]);
  const len = Math.max(bodySize, text.length + raw.length);
  const body = Buffer.alloc(len, 'x');
  text.copy(body, 0);
  raw.copy(body, text.length);
  return {
    body,
    tags: tags.length ? tags[i % tags.length]! : null,
    keys: `key-${i} k2-${i}`,
    props: { idx: String(i), 'p-utf8': `值-ü-${i}` },
  };
}

/** The properties `produce --filter-props` gives message i, for SQL92 filters to select on; `d` is missing from every third. */
export function filterProps(i: number): Record<string, string> {
  const props: Record<string, string> = { a: String(i % 10), b: `s${i % 7}`, c: ((i % 5) * 0.5).toFixed(1) };
  if (i % 3 !== 0) props.d = String(i % 4);
  return props;
}

/** The messages a consumer harness reported, in arrival order. */
export const deliveries = (events: HarnessEvent[]): HarnessEvent[] => events.filter((e) => e.event === 'msg');
