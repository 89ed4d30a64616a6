import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedStore, type EmbeddedStoreOptions } from '../../src/store/embedded/embedded-store.js';
import { SlotLayout, SlotStore } from '../../src/store/slot-store.js';
import { SlotBroker } from '../../src/broker/slot-broker.js';
import type { BrokerContext, BrokerSettings } from '../../src/broker/broker-context.js';
import { TrafficStats } from '../../src/broker/traffic-stats.js';
import { defaultConfig, type GatewayConfig } from '../../src/config.js';
import { createRequest, createResponse, type RemotingCommand } from '../../src/remoting/remoting-command.js';
import type { RemotingServer, RequestProcessor } from '../../src/remoting/remoting-server.js';
import type { RemotingConnection } from '../../src/remoting/remoting-connection.js';
import { REMOTING_TERMS } from '../../src/errors/boundaries.js';
import { RequestCode, ResponseCode } from '../../src/protocol/request-code.js';
import { bodyCrc, decodeStoredMessages, MESSAGE_MAGIC_CODE } from '../../src/protocol/message-codec.js';
import { formatProperties, parseProperties } from '../../src/protocol/message-properties.js';
import type { StoredMessage } from '../../src/store/message-store.js';
import { silent } from './embedded-broker.js';

/**
 * Processors of one broker, as the gateway wires them (src/startup/remoting-endpoint.ts builds a SlotBroker per slot and registers it
 * on a remoting server), over a real embedded store in a temporary directory, answered in process: no socket, no JDK.
 */

/** Short levels so that a delayed or retried message is delivered within a test; Apache's count of 18. */
export const TEST_DELAY_LEVELS_MS = Array.from({ length: 18 }, (_, i) => 100 * (i + 1));

export interface HarnessOptions {
  settings?: Partial<BrokerSettings>;
  store?: Partial<EmbeddedStoreOptions>;
}

/** The peer a processor sees: what it reads of a RemotingConnection, and what the broker sends back to it. */
export class TestConnection {
  readonly sent: RemotingCommand[] = [];
  isClosed = false;
  constructor(readonly remoteAddress = '127.0.0.1:40001') {}
  send(cmd: RemotingCommand): void {
    if (!this.isClosed) this.sent.push(cmd);
  }
}

/**
 * Stands in for RemotingServer where SlotBroker.registerOn registers: it keeps the table of processors the
 * gateway would serve, so the harness invokes the very functions a client's request reaches.
 */
class ProcessorTable {
  readonly processors = new Map<number, RequestProcessor>();
  readonly refusals = new Map<number, string>();
  register(code: number, processor: RequestProcessor): void {
    this.processors.set(code, processor);
  }
  refuse(code: number, reason: string): void {
    this.refusals.set(code, reason);
  }
  on(): this {
    return this;
  }
}

type FieldValue = string | number | bigint | boolean | undefined;

/** extFields as a client writes them: every value a string, absent ones left out. */
export function fields(values: Record<string, FieldValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) out[k] = String(v);
  return out;
}

/** A SEND_BATCH_MESSAGE body, laid out as the Java client's MessageDecoder.encodeMessages does. */
export function batchBody(messages: Array<{ body: Buffer | string; properties?: Record<string, string>; flag?: number }>): Buffer {
  return Buffer.concat(messages.map((m) => {
    const body = Buffer.isBuffer(m.body) ? m.body : Buffer.from(m.body);
    const props = Buffer.from(formatProperties(new Map(Object.entries(m.properties ?? {}))), 'utf8');
    const b = Buffer.alloc(4 + 4 + 4 + 4 + 4 + body.length + 2 + props.length);
    let p = b.writeInt32BE(b.length, 0);
    p = b.writeInt32BE(MESSAGE_MAGIC_CODE, p);
    p = b.writeInt32BE(bodyCrc(body), p);
    p = b.writeInt32BE(m.flag ?? 0, p);
    p = b.writeInt32BE(body.length, p);
    p += body.copy(b, p);
    p = b.writeInt16BE(props.length, p);
    props.copy(b, p);
    return b;
  }));
}

/** The messages of a PULL_MESSAGE answer, with their properties parsed. */
export function pulledMessages(res: RemotingCommand): Array<ReturnType<typeof decodeStoredMessages>[number] & { props: Map<string, string> }> {
  return decodeStoredMessages(res.body ?? Buffer.alloc(0)).map((m) => ({ ...m, props: parseProperties(m.properties) }));
}

export interface SendOptions {
  tags?: string;
  keys?: string;
  queueId?: number;
  properties?: Record<string, string>;
  extra?: Record<string, FieldValue>;
}

export class ProcessorHarness {
  readonly conn = new TestConnection();
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly store: EmbeddedStore,
    readonly broker: SlotBroker,
    private readonly table: ProcessorTable,
    private readonly traffic: TrafficStats,
  ) {}

  static async open(options: HarnessOptions = {}): Promise<ProcessorHarness> {
    const dir = mkdtempSync(join(tmpdir(), 'rop-processors-'));
    let store: EmbeddedStore | undefined;
    try {
      store = new EmbeddedStore({
        dataDir: dir, flush: 'async', flushIntervalMs: 50, segmentBytes: 1 << 20, retentionMs: 3600_000, retentionCheckIntervalMs: 3600_000, maxOpenFiles: 1024, diskMaxUsedRatio: 100, diskCheckIntervalMs: 1000, ...options.store,
      }, silent);
      await store.open();
      return await ProcessorHarness.serve(dir, store, options);
    } catch (err) {
      await store?.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  private static async serve(dir: string, store: EmbeddedStore, options: HarnessOptions): Promise<ProcessorHarness> {
    const settings: BrokerSettings = {
      advertisedAddress: '127.0.0.1:10911', clusterName: 'TestCluster', brokerName: 'test-broker', autoCreateTopics: true, enablePropertyFilter: true,
      defaultQueues: 4, maxMessageSize: 4096, maxTopics: 1000, maxPullMessages: 32, maxPullBytes: 1 << 20, maxPullHoldMs: 5000, delayLevelsMs: TEST_DELAY_LEVELS_MS,
      ...options.settings,
    };
    const config: GatewayConfig = {
      ...defaultConfig, dataDir: dir, httpPort: 0, grpcPort: 0, autoCreateTopics: settings.autoCreateTopics, enablePropertyFilter: settings.enablePropertyFilter,
      defaultQueues: settings.defaultQueues, delayLevelsMs: settings.delayLevelsMs, clusterName: settings.clusterName, brokerName: settings.brokerName,
    };
    const traffic = new TrafficStats();
    // One slot of one, as a lone gateway on its embedded store runs (the identity layout).
    const broker = new SlotBroker({
      store: new SlotStore(store, new SlotLayout(0, 1)), settings, config, traffic, popMembers: () => [], gatewayId: settings.advertisedAddress,
      owner: () => undefined, log: silent,
    });
    const table = new ProcessorTable();
    broker.registerOn(table as unknown as RemotingServer, 10911);
    // Owned, so requests that only the slot's owner answers are answered here rather than held for a handover.
    await broker.acquire();
    return new ProcessorHarness(dir, store, broker, table, traffic);
  }

  get ctx(): BrokerContext {
    return this.broker.ctx;
  }

  request(code: number, extFields: Record<string, FieldValue> = {}, body?: Buffer, language = 'JAVA'): RemotingCommand {
    return { ...createRequest(code, fields(extFields), body), language };
  }

  /**
   * What the client would receive: the processor's response, or the answer to what it threw mapped as
   * RemotingServer.answer maps it, by the REMOTING_TERMS src/gateway.ts gives its servers; null when the processor
   * answered nothing.
   */
  async answer(req: RemotingCommand, conn: TestConnection = this.conn): Promise<RemotingCommand | null> {
    const processor = this.table.processors.get(req.code);
    if (!processor) {
      const name = REMOTING_TERMS.codeName(req.code);
      const reason = this.table.refusals.get(req.code);
      return createResponse(req, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, `request code ${req.code}${name ? ` (${name})` : ''} is not supported by this gateway${reason ? `: ${reason}` : ''}`);
    }
    return this.answerWith(processor, req, conn);
  }

  /** As `answer`, by a processor the test built itself (one with a hold service of its own, say). */
  async answerWith(processor: RequestProcessor, req: RemotingCommand, conn: TestConnection = this.conn): Promise<RemotingCommand | null> {
    try {
      return await processor(req, conn as unknown as RemotingConnection);
    } catch (err) {
      const answer = REMOTING_TERMS.errorAnswer(err);
      return createResponse(req, answer.code, answer.fault ? `request code ${req.code} failed: ${answer.remark}` : answer.remark);
    }
  }

  /** A request answered; every processor tested here answers, so no answer is a failure. */
  async invoke(code: number, extFields: Record<string, FieldValue> = {}, body?: Buffer, language?: string): Promise<RemotingCommand> {
    const res = await this.answer(this.request(code, extFields, body, language));
    if (!res) throw new Error(`request code ${code} got no answer`);
    return res;
  }

  /** SEND_MESSAGE of one message, as a 4.x producer sends it. */
  send(topic: string, body: Buffer | string, o: SendOptions = {}): Promise<RemotingCommand> {
    const props: Record<string, string> = { UNIQ_KEY: `uniq-${Math.random().toString(16).slice(2)}`, WAIT: 'true', ...o.properties };
    if (o.tags !== undefined) props.TAGS = o.tags;
    if (o.keys !== undefined) props.KEYS = o.keys;
    return this.invoke(RequestCode.SEND_MESSAGE, {
      producerGroup: 'PG', topic, defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: o.queueId ?? 0, sysFlag: 0,
      bornTimestamp: Date.now(), flag: 0, properties: formatProperties(new Map(Object.entries(props))), reconsumeTimes: 0, ...o.extra,
    }, Buffer.isBuffer(body) ? body : Buffer.from(body));
  }

  /** Registers a consumer's subscription with a HEART_BEAT, as push consumers do before they pull. */
  heartbeat(group: string, topic: string, subString = '*', expressionType = 'TAG', language = 'JAVA'): Promise<RemotingCommand> {
    const body = { clientID: 'client-1', consumerDataSet: [{ groupName: group, consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', subscriptionDataSet: [{ topic, subString, expressionType }] }] };
    return this.invoke(RequestCode.HEART_BEAT, {}, Buffer.from(JSON.stringify(body)), language);
  }

  /** Every message the store holds in a queue, past whatever retention removed. */
  async stored(topic: string, queueId = 0): Promise<StoredMessage[]> {
    const min = await this.store.minOffset(topic, queueId);
    return (await this.store.read(topic, queueId, min, 1000, 1 << 24)).messages;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.broker.close();
      this.traffic.close();
      await this.store.close();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Runs `fn` on a fresh harness, closed and its directory removed afterwards whatever happens. */
export async function withProcessors(fn: (h: ProcessorHarness) => Promise<void>, options?: HarnessOptions): Promise<void> {
  const h = await ProcessorHarness.open(options);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

/** Polls `check` until it holds or `timeoutMs` passes; for work the broker does on its own (delayed delivery, retention). */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 3000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
