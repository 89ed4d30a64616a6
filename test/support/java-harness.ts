import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from './gateway.js';

export const harnessJar = join(repoRoot, 'test', 'harness', 'java', 'target', 'rop-java-harness.jar');

export type HarnessEvent = Record<string, unknown> & { event: string };

/** One run of the Java harness (Apache RocketMQ's Java client), with every JSON event it printed. */
export class JavaHarness {
  readonly events: HarnessEvent[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      this.events.push(JSON.parse(line) as HarnessEvent);
      for (const l of this.listeners) l();
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => this.stderr.push(d));
    this.exited = new Promise((resolve) => child.once('exit', (code) => { for (const l of this.listeners) l(); resolve(code); }));
  }

  /** Starts `java -jar rop-java-harness.jar <command> --key value ...`. */
  static start(command: string, options: Record<string, string | number>, jvmArgs: string[] = []): JavaHarness {
    if (!existsSync(harnessJar)) throw new Error(`${harnessJar} is missing: run "npm run java-peers" (needs a JDK 17 and Maven)`);
    const args = [...jvmArgs, '-jar', harnessJar, command];
    for (const [k, v] of Object.entries(options)) args.push(`--${k}`, String(v));
    return new JavaHarness(spawn('java', args, { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  /** Runs a command to completion and returns its events; fails on a non-zero exit. */
  static async run(command: string, options: Record<string, string | number>, timeoutMs = 60_000): Promise<HarnessEvent[]> {
    const h = JavaHarness.start(command, options);
    const timer = setTimeout(() => h.child.kill('SIGKILL'), timeoutMs);
    const code = await h.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`harness ${command} exited with ${code}: ${h.stderr.join('').slice(-2000)} ${JSON.stringify(h.events.filter((e) => e.event === 'error').slice(0, 3))}`);
    return h.events;
  }

  of(event: string): HarnessEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  /** Resolves once `predicate` holds over the events so far; rejects on timeout or if the process exits first. */
  waitFor(predicate: (events: HarnessEvent[]) => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate(this.events)) return done(resolve);
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done(() => reject(new Error(`harness exited before ${what}; stderr: ${this.stderr.join('').slice(-2000)}`)));
        }
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))), timeoutMs);
      const done = (f: () => void): void => { clearTimeout(timer); this.listeners.delete(check); f(); };
      this.listeners.add(check);
      check();
    });
  }

  /** Closes stdin (the harness shuts its client down and exits), killing it if it lingers. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
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

/** The messages a consumer harness reported, in arrival order. */
export const deliveries = (events: HarnessEvent[]): HarnessEvent[] => events.filter((e) => e.event === 'msg');
