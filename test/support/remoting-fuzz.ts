import { connect, type Socket } from 'node:net';
import { decodeCommand, encodeRocketMqHeader } from '../../src/remoting/header-codec.js';
import { isResponse, SerializeType, type RemotingCommand } from '../../src/remoting/remoting-command.js';
import { formatProperties } from '../../src/protocol/message-properties.js';
import { batchBody } from './processor-harness.js';

/** mulberry32: a tiny PRNG, so that a fixed seed replays the same frames. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  /** Characters clients do not send: separators of the properties encoding, controls, spaces, '|', astral ones. */
  text(n: number): string {
    const alphabet = ['a', 'Z', '0', '%', '|', '-', '_', ' ', '\u0001', '\u0002', '\u0000', '\n', 'ü', '值', '😀', '\ud800', '"', '\\', ',', '='];
    let s = '';
    for (let i = 0; i < n; i++) s += this.pick(alphabet);
    return s;
  }
}

export const FUZZ_TOPIC = 'FuzzTopic';
const GROUP = 'FuzzGroup';

/** A request before it is encoded: its header, possibly made malformed, and its body. */
interface Request {
  header: Record<string, unknown>;
  body?: Buffer;
}

const heartbeat = (r: Rng) => JSON.stringify({
  clientID: `fuzz@${r.int(4)}`,
  producerDataSet: [{ groupName: 'FuzzPG' }],
  consumerDataSet: [{
    groupName: GROUP, consumeType: 'CONSUME_PASSIVELY', messageModel: r.pick(['CLUSTERING', 'BROADCASTING']), consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
    subscriptionDataSet: [{ topic: FUZZ_TOPIC, subString: r.pick(['*', 'a || b', 'a > 1', '']), expressionType: r.pick(['TAG', 'SQL92']), tagsSet: [], codeSet: [], subVersion: 1 }],
    unitMode: false,
  }],
});

/** Valid requests of the codes clients send most, as the Java client writes them. */
const TEMPLATES: Array<(r: Rng) => Request> = [
  (r) => ({ header: { code: 310, extFields: { a: 'FuzzPG', b: FUZZ_TOPIC, c: 'TBW102', d: '4', e: String(r.int(4)), f: '0', g: String(Date.now()), h: '0', i: formatProperties(new Map([['TAGS', 'a'], ['KEYS', `k${r.int(100)}`], ['UNIQ_KEY', `U${r.int(1e9)}`]])), j: '0', k: 'false', m: 'false' } }, body: Buffer.from(`body-${r.int(1000)}`) }),
  (r) => ({ header: { code: 10, extFields: { producerGroup: 'FuzzPG', topic: FUZZ_TOPIC, defaultTopic: 'TBW102', defaultTopicQueueNums: '4', queueId: String(r.int(4)), sysFlag: '0', bornTimestamp: String(Date.now()), flag: '0', properties: formatProperties(new Map([['TAGS', 'b']])), reconsumeTimes: '0', unitMode: 'false' } }, body: Buffer.from('plain') }),
  (r) => ({ header: { code: 320, extFields: { producerGroup: 'FuzzPG', topic: FUZZ_TOPIC, defaultTopic: 'TBW102', defaultTopicQueueNums: '4', queueId: String(r.int(4)), sysFlag: '0', bornTimestamp: String(Date.now()), flag: '0', properties: '', batch: 'true' } }, body: batchBody([{ body: 'b0', properties: { KEYS: 'bk0' } }, { body: 'b1', flag: 3 }]) }),
  (r) => ({ header: { code: 11, extFields: { consumerGroup: GROUP, topic: FUZZ_TOPIC, queueId: String(r.int(4)), queueOffset: String(r.int(5)), maxMsgNums: '32', sysFlag: '4', commitOffset: '0', suspendTimeoutMillis: '0', subscription: '*', subVersion: '0', expressionType: 'TAG' } } }),
  (r) => ({ header: { code: 34, extFields: {} }, body: Buffer.from(heartbeat(r)) }),
  () => ({ header: { code: 105, extFields: { topic: FUZZ_TOPIC } } }),
  (r) => ({ header: { code: 12, extFields: { topic: FUZZ_TOPIC, key: `k${r.int(100)}`, maxNum: '32', beginTimestamp: '0', endTimestamp: String(Number.MAX_SAFE_INTEGER) } } }),
  (r) => ({ header: { code: 33, extFields: { offset: String(r.int(1000)) } } }),
  (r) => ({ header: { code: 36, extFields: { group: GROUP, offset: String(r.int(1000)), delayLevel: '0', originMsgId: 'X', originTopic: FUZZ_TOPIC, maxReconsumeTimes: '16' } } }),
  (r) => ({ header: { code: 15, extFields: { consumerGroup: GROUP, topic: FUZZ_TOPIC, queueId: String(r.int(4)), commitOffset: String(r.int(10)) } } }),
  (r) => ({ header: { code: 37, extFields: { producerGroup: 'FuzzPG', tranStateTableOffset: '0', commitLogOffset: String(r.int(1000)), commitOrRollback: '8', fromTransactionCheck: 'false', msgId: 'X' } } }),
  () => ({ header: { code: 38, extFields: { consumerGroup: GROUP } } }),
  (r) => ({ header: { code: 41, extFields: {} }, body: Buffer.from(JSON.stringify({ consumerGroup: GROUP, clientId: 'fuzz@0', mqSet: [{ topic: FUZZ_TOPIC, brokerName: 'rop-broker', queueId: r.int(4) }] })) }),
  (r) => ({ header: { code: 29, extFields: { topic: FUZZ_TOPIC, queueId: String(r.int(4)), timestamp: String(Date.now()) } } }),
];

const WEIRD_NUMBERS = ['', '-1', '0', '2147483647', '2147483648', '-2147483649', '9223372036854775807', '9223372036854775808', '1e5', '0x10', ' 1', 'NaN', '-0', '1'.repeat(40)];

/** A value no client sends for an ext field: numbers out of range, strange text, huge text, JSON that is not a string. */
function weirdValue(r: Rng): unknown {
  switch (r.int(7)) {
    case 0: case 1: return r.pick(WEIRD_NUMBERS);
    case 2: return r.text(r.int(40));
    case 3: return r.chance(0.1) ? 'x'.repeat(70_000) : r.text(300);
    case 4: return r.pick([null, true, 12.5, -1, { a: 1 }, [1, 2]]);
    case 5: return formatProperties(new Map(Array.from({ length: r.int(6) }, () => [r.text(r.int(8)), r.text(r.int(8))] as [string, string])));
    default: return r.pick([FUZZ_TOPIC, 'TBW102', 'SCHEDULE_TOPIC_XXXX', '%RETRY%FuzzGroup', '%DLQ%FuzzGroup', 'RMQ_SYS_TRANS_HALF_TOPIC', `Fz${r.int(50)}`]);
  }
}

function mutateBody(r: Rng, body: Buffer | undefined): Buffer | undefined {
  const b = Buffer.from(body ?? Buffer.alloc(0));
  switch (r.int(6)) {
    case 0: return undefined;
    case 1: for (let i = 0; i < 1 + r.int(6) && b.length > 0; i++) b[r.int(b.length)] = r.int(256); return b;
    case 2: return b.subarray(0, r.int(b.length + 1));
    case 3: return r.bytes(r.int(200));
    case 4: return Buffer.concat([b, r.bytes(r.int(64))]);
    default: return r.chance(0.2) ? Buffer.alloc(70_000 + r.int(10_000), 'z') : b;
  }
}

/** One to three changes of a request's header fields and body, keeping its framing valid. */
function mutate(r: Rng, req: Request): Request {
  const ext: Record<string, unknown> = { ...(req.header.extFields as Record<string, unknown>) };
  const header: Record<string, unknown> = { ...req.header, extFields: ext };
  let body = req.body;
  for (let n = 1 + r.int(3); n > 0; n--) {
    const keys = Object.keys(ext);
    switch (r.int(8)) {
      case 0: case 1: case 2: if (keys.length > 0) ext[r.pick(keys)] = weirdValue(r); break;
      case 3: if (keys.length > 0) delete ext[r.pick(keys)]; break;
      case 4: ext[r.text(1 + r.int(10))] = weirdValue(r); break;
      case 5: body = mutateBody(r, body); break;
      case 6: header[r.pick(['code', 'flag', 'version', 'opaque', 'language', 'remark', 'extFields'])] = r.chance(0.5) ? weirdValue(r) : r.pick([0, 1, 2, 3, 65535, -1, 2 ** 31, 'JAVA', null]); break;
      default: header.code = r.pick([10, 11, 12, 15, 34, 36, 37, 41, 42, 105, 310, 320, 325, 361, 9999]);
    }
  }
  return { header, body };
}

function frameOf(headerBytes: Buffer, serializeType: number, body?: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(4 + headerBytes.length + (body?.length ?? 0), 0);
  head.writeUInt32BE(((serializeType << 24) | headerBytes.length) >>> 0, 4);
  return Buffer.concat([head, headerBytes, body ?? Buffer.alloc(0)]);
}

/** The header in the ROCKETMQ binary encoding when its fields fit it, else undefined. */
function binaryHeader(h: Record<string, unknown>): Buffer | undefined {
  const ext = h.extFields;
  if (typeof ext !== 'object' || ext === null || Array.isArray(ext)) return undefined;
  const ints = [h.code, h.version ?? 401, h.opaque, h.flag ?? 0];
  if (!ints.every((v) => typeof v === 'number' && Number.isInteger(v))) return undefined;
  const [code, version, opaque, flag] = ints as number[];
  if (Math.abs(code!) > 0x7fff || Math.abs(version!) > 0x7fff || Math.abs(opaque!) > 0x7fffffff || Math.abs(flag!) > 0x7fffffff) return undefined;
  const cmd: RemotingCommand = {
    code: code!, language: 'JAVA', version: version!, opaque: opaque!, flag: flag!, remark: typeof h.remark === 'string' ? h.remark : undefined,
    extFields: Object.fromEntries(Object.entries(ext as Record<string, unknown>).map(([k, v]) => [k, String(v)])), serializeType: SerializeType.ROCKETMQ,
  };
  return encodeRocketMqHeader(cmd);
}

/** A frame to send: its bytes, and whether its framing is intact (so an answer can be told apart per opaque). */
export interface FuzzFrame {
  bytes: Buffer;
  opaque: number;
  /** the framing was broken on purpose: the connection is ended after it */
  broken: boolean;
  /** an answer is due (intact framing, neither oneway nor a response) */
  answered: boolean;
}

/** Damage to the bytes of an encoded frame: flips, lengths that lie, a serialize type nobody knows, truncation. */
function breakFrame(r: Rng, frame: Buffer): Buffer {
  const b = Buffer.from(frame);
  switch (r.int(6)) {
    case 0: for (let i = 0; i < 1 + r.int(8); i++) b[4 + r.int(b.length - 4)] = r.int(256); return b;
    case 1: b.writeUInt32BE(r.pick([0, 3, 0xffffff, r.int(0x1000000)]) | (b[4]! << 24), 4); return b;
    case 2: b[4] = r.int(256); return b;
    case 3: return b.subarray(0, 1 + r.int(b.length - 1));
    case 4: b.writeUInt32BE(r.pick([0, 1, 3, 0x7fffffff, 0xffffffff, b.length * 2]), 0); return b;
    default: return Buffer.concat([b, r.bytes(1 + r.int(40))]);
  }
}

let nextOpaque = 1;

/** One fuzzed frame: a valid request of a common code, its fields and body mutated, its framing broken now and then. */
export function fuzzFrame(r: Rng): FuzzFrame {
  const opaque = nextOpaque++;
  const base = r.pick(TEMPLATES)(r);
  base.header = { language: 'JAVA', version: 401, flag: 0, serializeTypeCurrentRPC: 'JSON', ...base.header, opaque };
  const req = r.chance(0.85) ? mutate(r, base) : base;
  const binary = r.chance(0.3) ? binaryHeader(req.header) : undefined;
  const json = JSON.stringify(req.header);
  const cutJson = !binary && r.chance(0.05);
  const frame = frameOf(binary ?? Buffer.from(cutJson ? json.slice(0, -1 - r.int(5)) : json), binary ? 1 : 0, req.body);
  const damaged = r.chance(0.25);
  const flag = req.header.flag;
  const plain = typeof flag === 'number' && Number.isInteger(flag) && (flag & 3) === 0 && req.header.opaque === opaque;
  return { bytes: damaged ? breakFrame(r, frame) : frame, opaque, broken: damaged || cutJson, answered: !damaged && !cutJson && plain };
}

/** A raw connection that writes frames as given and decodes every answer frame it gets back. */
export class RawRemoting {
  readonly answers = new Map<number, RemotingCommand>();
  readonly undecodable: string[] = [];
  private buffered = Buffer.alloc(0);
  private waiting?: { opaque: number; resolve: () => void };
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.waiting?.resolve();
      resolve();
    }));
  }

  static open(port: number): Promise<RawRemoting> {
    const socket = connect({ host: '127.0.0.1', port });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new RawRemoting(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes `frame`; resolves when its answer arrived, the connection closed, or after `ms`. */
  send(frame: FuzzFrame, ms: number): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    this.socket.write(frame.bytes);
    if (!frame.answered) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiting = { opaque: frame.opaque, resolve: done };
      if (this.answers.has(frame.opaque)) done();
    });
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  /** Ends this side and waits for the gateway to close, up to `ms`. */
  async end(ms: number): Promise<void> {
    this.socket.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, d]);
    while (this.buffered.length >= 4) {
      const len = this.buffered.readUInt32BE(0);
      if (this.buffered.length < 4 + len) return;
      const frame = this.buffered.subarray(4, 4 + len);
      this.buffered = this.buffered.subarray(4 + len);
      try {
        const cmd = decodeCommand(frame);
        // The gateway's own requests (NOTIFY_CONSUMER_IDS_CHANGED after a heartbeat) are no answers.
        if (!isResponse(cmd)) continue;
        this.answers.set(cmd.opaque, cmd);
        if (this.waiting?.opaque === cmd.opaque) this.waiting.resolve();
      } catch (err) {
        this.undecodable.push((err as Error).message);
      }
    }
  }
}
