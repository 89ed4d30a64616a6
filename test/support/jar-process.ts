import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

export type HarnessEvent = Record<string, unknown> & { event: string };

/** `--key value` options; `true` is a bare `--key` flag and `false` leaves the option out. */
export type HarnessOptions = Record<string, string | number | boolean>;

/** `--key value` arguments for `options`, as the harnesses' option parsers read them. */
export function optionArgs(options: HarnessOptions): string[] {
  const args: string[] = [];
  for (const [k, v] of Object.entries(options)) {
    if (v === false) continue;
    args.push(`--${k}`);
    if (v !== true) args.push(String(v));
  }
  return args;
}

/** `java -jar <jar> <command> --key value ...`, checking first that scripts/java-peers.mjs built the jar. */
export function spawnJar(jar: string, command: string, options: HarnessOptions, jvmArgs: string[] = []): ChildProcess {
  if (!existsSync(jar)) throw new Error(`${jar} is missing: run "npm run java-peers" (needs a JDK 17 and Maven)`);
  return spawn('java', [...jvmArgs, '-jar', jar, command, ...optionArgs(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** `<binary> <command> --key value ...` for a native harness, checking first that it was built (`missing` says how). */
export function spawnBinary(binary: string, command: string, options: HarnessOptions, missing: string): ChildProcess {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: ${missing}`);
  return spawn(binary, [command, ...optionArgs(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/**
 * One run of a harness (a client driven from the command line: a Java jar of spawnJar or a native binary of
 * spawnBinary), with every JSON event it printed.
 */
export class JarProcess {
  readonly events: HarnessEvent[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly listeners = new Set<() => void>();

  constructor(readonly child: ChildProcess, private readonly command: string) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      this.events.push(JSON.parse(line) as HarnessEvent);
      for (const l of this.listeners) l();
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => this.stderr.push(d));
    // stdin is only closed to stop the harness; a write error after it exited is of no interest.
    child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => child.once('exit', (code) => { for (const l of this.listeners) l(); resolve(code); }));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  of(event: string): HarnessEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  /** The last of stderr and the first error events, for failure messages. */
  describe(): string {
    return `${this.stderr.join('').slice(-2000)} ${JSON.stringify(this.of('error').slice(0, 3))}`;
  }

  /** Resolves once `predicate` holds over the events so far; rejects on timeout or if the process exits first. */
  waitFor(predicate: (events: HarnessEvent[]) => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate(this.events)) return done(resolve);
        if (!this.running) done(() => reject(new Error(`harness ${this.command} exited before ${what}; ${this.describe()}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))), timeoutMs);
      const done = (f: () => void): void => { clearTimeout(timer); this.listeners.delete(check); f(); };
      this.listeners.add(check);
      check();
    });
  }

  /** Waits for the process to end by itself, killing it after `timeoutMs`; returns its events, or fails unless it exited 0. */
  async finish(timeoutMs: number): Promise<HarnessEvent[]> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`harness ${this.command} exited with ${code}: ${this.describe()}`);
    return this.events;
  }

  /** Closes stdin (a harness that waits on it shuts its client down and exits), killing it if it lingers. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
