import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from './gateway.js';
import { pulsarServiceUrl } from './pulsar.js';

/** Apache Pulsar's own Java client in a harness (test/harness/pulsar-java), built by scripts/java-peers.mjs. */
export const pulsarHarnessJar = join(repoRoot, 'test', 'harness', 'pulsar-java', 'target', 'rop-pulsar-harness.jar');

export type PulsarJavaEvent = Record<string, unknown> & { event: string };

export interface JavaProduceOptions {
  /** Defaults to the standalone of `npm run pulsar:start`. */
  serviceUrl?: string;
  /** A topic, or the base name of a partitioned topic (the Java client routes over its partitions). */
  topic: string;
  count: number;
  key?: string;
  properties?: Record<string, string>;
  /** Message i carries the UTF-8 body `${bodyPrefix}${i}` (the harness defaults the prefix to "msg-"). */
  bodyPrefix?: string;
  /** Pulsar batching: sends go out asynchronously and are grouped into batch entries. Default false. */
  batching?: boolean;
  /** Event time (ms) set on every message; unset by default. */
  eventTime?: number;
  /** Bound on the whole run, JVM start included. Default 60 s. */
  timeoutMs?: number;
}

export interface JavaSent {
  i: number;
  /** The Java client's MessageId.toString(): ledger:entry:partition[:batchIndex]. */
  messageId: string;
}

export interface JavaConsumeOptions {
  serviceUrl?: string;
  /** A topic, or the base name of a partitioned topic (the Java client subscribes to every partition). */
  topic: string;
  subscription: string;
  /** Stop after this many messages. */
  count: number;
  /** How long the harness receives, counted from its `ready` line. Default 30 s. */
  timeoutMs?: number;
  /** Where a new subscription starts. Default earliest. */
  initial?: 'earliest' | 'latest';
}

export interface JavaReceived {
  /** The payload decoded as UTF-8. */
  body: string;
  /** The payload byte for byte. */
  bodyBase64: string;
  key: string | null;
  properties: Record<string, string>;
  messageId: string;
  publishTime: number;
  /** 0 when the producer set none. */
  eventTime: number;
  /** The partition's topic name on a partitioned topic (…-partition-N). */
  topic: string;
  redeliveryCount: number;
}

/** Time for the JVM to start and the client to connect, on top of every caller-given bound. */
const STARTUP_GRACE_MS = 30_000;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** One run of the harness, with every JSON line it printed. */
class HarnessProcess {
  readonly child: ChildProcess;
  readonly events: PulsarJavaEvent[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly listeners = new Set<() => void>();

  constructor(command: string, args: Array<[string, string | number | boolean | undefined]>) {
    if (!existsSync(pulsarHarnessJar)) throw new Error(`${pulsarHarnessJar} is missing: run "npm run java-peers" (needs a JDK 17 and Maven)`);
    const argv = ['-jar', pulsarHarnessJar, command];
    for (const [k, v] of args) if (v !== undefined) argv.push(`--${k}`, String(v));
    // The JVM decodes its arguments with the locale's charset: without a UTF-8 locale, non-ASCII
    // bodies, keys and properties would arrive as replacement characters.
    this.child = spawn('java', argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    live.add(this.child);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });
    }
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      try {
        this.events.push(JSON.parse(line) as PulsarJavaEvent);
      } catch {
        this.stderr.push(`[unparsed stdout] ${line}\n`);
        return;
      }
      for (const l of this.listeners) l();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => this.stderr.push(d));
    // stdin is only closed to stop the harness; a write error after it exited is of no interest.
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        live.delete(this.child);
        for (const l of this.listeners) l();
        resolve(signal ? null : code);
      });
      this.child.once('error', (err) => {
        live.delete(this.child);
        this.stderr.push(`spawn failed: ${err.message}\n`);
        resolve(null);
      });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  of(event: string): PulsarJavaEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  describe(): string {
    const errors = this.of('error').map((e) => e.message);
    return `${errors.length ? `errors ${JSON.stringify(errors)}; ` : ''}stderr: ${this.stderr.join('').slice(-2000)}`;
  }

  /** Resolves once `predicate` holds; rejects on timeout or if the process exits first. */
  waitFor(predicate: (events: PulsarJavaEvent[]) => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate(this.events)) return done(resolve);
        if (!this.running) done(() => reject(new Error(`Pulsar Java harness exited (${this.child.exitCode ?? this.child.signalCode}) before ${what}; ${this.describe()}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.describe()}`))), timeoutMs);
      const done = (f: () => void): void => { clearTimeout(timer); this.listeners.delete(check); f(); };
      this.listeners.add(check);
      check();
    });
  }

  /** Waits for the process to end by itself, killing it after `timeoutMs`; fails unless it exited 0. */
  async finish(timeoutMs: number, what: string): Promise<void> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`Pulsar Java harness ${what} ${code === null ? `was killed (no exit within ${timeoutMs} ms)` : `exited with ${code}`}; ${this.describe()}`);
  }

  /** Closes stdin (the harness stops and exits on its own), killing it if it lingers. */
  async stop(graceMs: number): Promise<number | null> {
    if (this.running) {
      this.child.stdin!.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      const code = await this.exited;
      clearTimeout(timer);
      return code;
    }
    return this.exited;
  }
}

/** Sends `count` messages with Pulsar's Java producer; returns each message id in send order. */
export async function javaProduce(o: JavaProduceOptions): Promise<JavaSent[]> {
  const args: Array<[string, string | number | boolean | undefined]> = [
    ['service-url', o.serviceUrl ?? pulsarServiceUrl], ['topic', o.topic], ['count', o.count],
    ['key', o.key], ['body-prefix', o.bodyPrefix], ['batching', o.batching], ['event-time', o.eventTime],
  ];
  for (const [k, v] of Object.entries(o.properties ?? {})) args.push(['prop', `${k}=${v}`]);
  const h = new HarnessProcess('produce', args);
  await h.finish(o.timeoutMs ?? 60_000, 'produce');
  const done = h.of('done')[0];
  const sent = h.of('sent').map((e) => ({ i: e.i as number, messageId: e.messageId as string }));
  if (!done || done.count !== o.count || sent.length !== o.count) throw new Error(`Java producer reported ${sent.length} of ${o.count} sends; ${h.describe()}`);
  return sent;
}

/**
 * A running Java consumer (Exclusive subscription). `start` resolves once it is subscribed, so messages
 * produced after that reach it even with `initial: 'latest'`.
 */
export class JavaConsumer {
  private constructor(private readonly h: HarnessProcess, private readonly options: JavaConsumeOptions) {}

  static async start(o: JavaConsumeOptions): Promise<JavaConsumer> {
    const h = new HarnessProcess('consume', [
      ['service-url', o.serviceUrl ?? pulsarServiceUrl], ['topic', o.topic], ['subscription', o.subscription],
      ['count', o.count], ['timeout-ms', o.timeoutMs ?? 30_000], ['initial', o.initial],
    ]);
    try {
      await h.waitFor((ev) => ev.some((e) => e.event === 'ready'), STARTUP_GRACE_MS, `the Java consumer on ${o.topic} to subscribe`);
    } catch (err) {
      await h.stop(1000);
      throw err;
    }
    return new JavaConsumer(h, o);
  }

  /** What was received so far. */
  get received(): JavaReceived[] {
    return this.h.of('received') as unknown as JavaReceived[];
  }

  /** Resolves once `n` messages were received; rejects after `timeoutMs` or if the harness ends first. */
  async waitFor(n: number, timeoutMs: number): Promise<JavaReceived[]> {
    await this.h.waitFor(() => this.received.length >= n, timeoutMs, `${n} messages on ${this.options.topic} (got ${this.received.length})`);
    return this.received;
  }

  /** Waits for the harness to stop by itself (count reached or its timeout passed) and returns every message. */
  async done(): Promise<JavaReceived[]> {
    await this.h.finish((this.options.timeoutMs ?? 30_000) + STARTUP_GRACE_MS, 'consume');
    if (this.h.of('done').length !== 1) throw new Error(`Java consumer ended without a done line; ${this.h.describe()}`);
    return this.received;
  }

  /** Stops the consumer now (closes its stdin; killed if it lingers) and returns every message. Idempotent. */
  async stop(graceMs = 10_000): Promise<JavaReceived[]> {
    await this.h.stop(graceMs);
    return this.received;
  }

  /** The harness's stderr so far (client warnings), for failure messages. */
  get stderr(): string {
    return this.h.stderr.join('');
  }
}

/** Subscribes, receives up to `count` messages (or until the timeout), and returns them. */
export async function javaConsume(o: JavaConsumeOptions): Promise<JavaReceived[]> {
  const c = await JavaConsumer.start(o);
  try {
    return await c.done();
  } finally {
    await c.stop(1000);
  }
}
