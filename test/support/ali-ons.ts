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
  properties: Record<string, string>;
}
export interface AliSendResult { sendStatus: string; queueOffset: number; msgId: string; messageQueue: { queueId: number | string } }
export interface AliProducer { ready(): Promise<void>; send(m: unknown): Promise<AliSendResult>; close(): Promise<void> }
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
const innerProducer = require('ali-ons/lib/producer/mq_producer.js') as { defaultProducer?: AliProducer };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T | undefined> => Promise.race([p, sleep(ms).then(() => undefined)]);

/**
 * Options every test client shares. ali-ons clients in one process share one MQClient per
 * `instanceName` (and remember its name-server address); its background loops notice a close only
 * after their current sleep, hence the short schedules.
 */
function common(nameSrv: string, storePath: string, instanceName?: string): object {
  return {
    nameSrv, httpclient: {}, accessKeyId: 'k', accessKeySecret: 's', storePath,
    pollNameServerInteval: 3000, heartbeatBrokerInterval: 3000, rebalanceInterval: 3000,
    ...(instanceName ? { instanceName } : {}),
  };
}

export function aliProducer(nameSrv: string, storePath: string, options: Record<string, unknown> = {}): AliProducer {
  return new ons.Producer({ ...common(nameSrv, storePath, options.instanceName as string | undefined), producerGroup: 'AliOnsTestPG', ...options });
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
  await withTimeout(p?.close().catch(() => undefined) ?? Promise.resolve(), 5000);
}
