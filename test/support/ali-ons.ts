import { createRequire } from 'node:module';

// ali-ons (npm) is CommonJS without types; only what the tests touch is declared.
export interface AliMessage {
  body: Buffer;
  topic: string;
  tags: string;
  keys: string;
  queueId: number;
  queueOffset: number;
  msgId: string;
  reconsumeTimes: number;
  bornTimestamp: number;
  properties: Record<string, string>;
}
export interface AliSendResult { sendStatus: string; queueOffset: number; msgId: string; messageQueue: { brokerName: string; queueId: number | string } }
export interface AliProducer {
  ready(): Promise<void>;
  send(m: unknown): Promise<AliSendResult>;
  on(event: string, listener: (err: Error) => void): void;
  close(): Promise<void>;
}
export interface AliConsumer {
  ready(): Promise<void>;
  subscribe(topic: string, expression: string, handler: (m: AliMessage) => Promise<void>): void;
  on(event: string, listener: (err: Error) => void): void;
  close(): Promise<void>;
}
export interface AliOutgoing { keys: string[]; properties: Record<string, string> }

const require = createRequire(import.meta.url);
const ons = require('ali-ons') as {
  Producer: new (o: object) => AliProducer;
  Consumer: new (o: object) => AliConsumer;
  Message: new (topic: string, tags: string, body: string | Buffer) => AliOutgoing;
};
const innerProducer = require('ali-ons/lib/producer/mq_producer.js') as {
  defaultProducer?: AliProducer;
  getDefaultProducer(options?: object): Promise<AliProducer>;
};
// Every ali-ons client starts a process-wide inner producer that nobody listens to: its reconnect failures after
// a gateway stops would be uncaught 'error' events, crashing whichever test file runs. Listen as it is made.
const heard = new WeakSet<AliProducer>();
const makeInnerProducer = innerProducer.getDefaultProducer.bind(innerProducer);
innerProducer.getDefaultProducer = async (options?: object) => {
  const p = await makeInnerProducer(options);
  if (!heard.has(p)) {
    heard.add(p);
    p.on('error', () => undefined);
  }
  return p;
};

// ali-ons closes an MQClient by removing all of its listeners (RemotingClient.close), yet a task already under way can
// still open a channel to a gateway that is down; that channel's connect error is then emitted on the MQClient with
// no listener, an uncaught exception in whichever test runs (seen in the kill -9 test). A client closed or closing
// has nobody to tell: drop such an error instead.
const remotingClient = require('ali-ons/lib/remoting_client.js') as {
  prototype: { error(err: Error): void; listenerCount(event: string): number; emit(event: string, err: Error): boolean };
};
const emitError = remotingClient.prototype.error;
remotingClient.prototype.error = function (this: typeof remotingClient.prototype, err: Error) {
  if (this.listenerCount('error') > 0) emitError.call(this, err);
};

/** `p`'s value, or undefined once `ms` pass first; the timer is cleared either way so it cannot hold the process open. */
export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes an ali-ons client, giving up after `ms` (a close against a dead gateway can wait forever); errors are swallowed. */
export async function closeAli(client: { close(): Promise<void> } | undefined, ms = 5000): Promise<void> {
  if (client) await withTimeout(client.close().catch(() => undefined), ms);
}

/**
 * ali-ons logs through `console` by default, and chattily (route refreshes, TCP closes as warnings).
 * Tests keep its errors; ALI_ONS_LOG=1 shows everything.
 */
const noop = (): void => undefined;
const quietLogger = process.env.ALI_ONS_LOG
  ? console
  : { debug: noop, info: noop, warn: noop, error: (...args: unknown[]) => console.error('[ali-ons]', ...args) };

/**
 * The period of every ali-ons background loop (name-server poll, heartbeat, rebalance, offset persist;
 * the defaults are 30 s / 30 s / 10 s / 5 s). A closed client's loops stop only after their current
 * sleep, and the process cannot exit before that, so short periods mean fast test-file exits.
 */
export const ALI_ONS_INTERVAL_MS = 1000;

/**
 * Options every test client shares. ali-ons clients in one process share one MQClient per
 * `instanceName` (and remember its name-server address); its background loops notice a close only
 * after their current sleep, hence the short schedules.
 */
function common(nameSrv: string, storePath: string, instanceName?: string): object {
  return {
    nameSrv, httpclient: {}, accessKeyId: 'k', accessKeySecret: 's', storePath, logger: quietLogger,
    pollNameServerInteval: ALI_ONS_INTERVAL_MS, heartbeatBrokerInterval: ALI_ONS_INTERVAL_MS,
    rebalanceInterval: ALI_ONS_INTERVAL_MS, persistConsumerOffsetInterval: ALI_ONS_INTERVAL_MS,
    ...(instanceName ? { instanceName } : {}),
  };
}

export function aliProducer(nameSrv: string, storePath: string, options: Record<string, unknown> = {}): AliProducer {
  const p = new ons.Producer({ ...common(nameSrv, storePath, options.instanceName as string | undefined), producerGroup: 'AliOnsTestPG', ...options });
  // Reconnect failures after a gateway stops arrive as 'error' events; unheard, they would crash the test file.
  // Tests judge a producer by its send results.
  p.on('error', () => undefined);
  return p;
}

export function aliConsumer(nameSrv: string, storePath: string, options: Record<string, unknown> & { consumerGroup: string }): AliConsumer {
  const c = new ons.Consumer({ ...common(nameSrv, storePath, options.instanceName as string | undefined), consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', ...options });
  c.on('error', () => undefined);
  return c;
}

export function aliMessage(topic: string, tags: string, body: string | Buffer, keys: string[] = [], properties: Record<string, string> = {}): AliOutgoing {
  const m = new ons.Message(topic, tags, body);
  if (keys.length) m.keys = keys;
  Object.assign(m.properties, properties);
  return m;
}

/** ali-ons keeps a process-wide inner producer for every consumer and never closes it; without this a test file never exits. */
export async function closeAliOnsInnerProducer(): Promise<void> {
  const p = innerProducer.defaultProducer;
  innerProducer.defaultProducer = undefined;
  await closeAli(p);
}
