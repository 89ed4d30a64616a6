import { startGateway, type GatewayProcess, type GatewayOptions } from './gateway.js';
import { RemotingProbe } from './remoting-probe.js';
import { uniqueSuffix } from './pulsar.js';
import type { RemotingCommand } from '../../src/remoting/remoting-command.js';

/** One broker slot as a gateway's /api/cluster reports it. */
export interface SlotView {
  brokerName: string;
  address?: string;
  gateway?: string;
  servedHere: boolean;
}

/** Gateways over one Pulsar that share cluster name and namespaces, started with the same settings. */
export class TestCluster {
  private constructor(readonly gateways: GatewayProcess[], private readonly options: GatewayOptions) {}

  /** Starts `size` gateways of a new cluster of `slots` broker slots and waits until every slot is served. */
  static async start(size: number, slots: number, args: string[] = []): Promise<TestCluster> {
    const options: GatewayOptions = { http: true, grpc: true, sharedNamespace: `cluster-${uniqueSuffix()}`, args: ['--cluster-slots', String(slots), ...args] };
    const gateways: GatewayProcess[] = [];
    for (let i = 0; i < size; i++) gateways.push(await startGateway(options));
    const cluster = new TestCluster(gateways, options);
    await cluster.until((views) => views.every((v) => v.length === slots && v.every((s) => s.gateway !== undefined)), 20_000, 'every slot served');
    return cluster;
  }

  /** The live gateways' views of the cluster. */
  async views(): Promise<SlotView[][]> {
    return Promise.all(this.live().map(async (gw) => ((await (await fetch(`${gw.httpUrl}/api/cluster`)).json()) as { brokers: SlotView[] }).brokers));
  }

  live(): GatewayProcess[] {
    return this.gateways.filter((gw) => gw.child.exitCode === null && gw.child.signalCode === null);
  }

  /** Polls the live gateways' views until `check` holds; resolves with the milliseconds it took. */
  async until(check: (views: SlotView[][]) => boolean, timeoutMs: number, what: string): Promise<number> {
    const started = Date.now();
    let last: SlotView[][] = [];
    while (Date.now() - started < timeoutMs) {
      last = await this.views().catch(() => []);
      if (last.length > 0 && check(last)) return Date.now() - started;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; views: ${JSON.stringify(last)}`);
  }

  /** Slots per serving gateway, as every live gateway agrees on them (undefined while they disagree). */
  static spread(views: SlotView[][]): Map<string, number> | undefined {
    const key = (v: SlotView[]) => JSON.stringify(v.map((s) => s.gateway ?? null));
    if (views.some((v) => key(v) !== key(views[0]!))) return undefined;
    const counts = new Map<string, number>();
    for (const s of views[0]!) if (s.gateway) counts.set(s.gateway, (counts.get(s.gateway) ?? 0) + 1);
    return counts;
  }

  /** Every `namesrvAddr` a client may be given, as Apache's clients take a list of name servers. */
  namesrv(): string {
    return this.live().map((gw) => gw.address).join(';');
  }

  /** Starts gateway `i` again, after a stop or a kill, on its own port. */
  async restart(i: number): Promise<GatewayProcess> {
    const old = this.gateways[i]!;
    this.gateways[i] = await startGateway({ ...this.options, port: old.port, dataDir: old.dataDir });
    return this.gateways[i]!;
  }

  async stop(): Promise<void> {
    await Promise.all(this.gateways.map((gw) => gw.stop()));
    for (const gw of this.gateways) gw.cleanup();
  }
}

/** One request over a connection of its own. */
export async function ask(address: string, code: number, fields: Record<string, string>, body?: Buffer): Promise<RemotingCommand> {
  const probe = await RemotingProbe.connect(address);
  try {
    return await probe.invoke(code, fields, body);
  } finally {
    probe.close();
  }
}

export const json = <T>(r: RemotingCommand): T => {
  if (r.code !== 0) throw new Error(`request failed: ${r.code} ${r.remark ?? ''}`);
  return JSON.parse(r.body!.toString()) as T;
};

/** Creates (or resizes) a topic with `queues` queues per broker through the gateway at `address`. */
export async function createTopic(address: string, topic: string, queues: number, order = false): Promise<RemotingCommand> {
  return ask(address, 17, { topic, readQueueNums: String(queues), writeQueueNums: String(queues), perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: String(order) });
}

export interface TopicRoute {
  brokerDatas: Array<{ brokerName: string; brokerAddrs: Record<string, string> }>;
  queueDatas: Array<{ brokerName: string; readQueueNums: number; writeQueueNums: number }>;
}

/** The route `address` gives, brokers and queues in name order so that routes compare. */
export async function routeOf(address: string, topic: string): Promise<TopicRoute> {
  const r = json<TopicRoute>(await ask(address, 105, { topic }));
  r.brokerDatas = r.brokerDatas.map(({ brokerName, brokerAddrs }) => ({ brokerName, brokerAddrs })).sort((a, b) => a.brokerName.localeCompare(b.brokerName));
  r.queueDatas = r.queueDatas.map(({ brokerName, readQueueNums, writeQueueNums }) => ({ brokerName, readQueueNums, writeQueueNums })).sort((a, b) => a.brokerName.localeCompare(b.brokerName));
  return r;
}

/** Polls `check` (over several harnesses' events, which no single harness's waitFor sees) until it holds. */
export async function polled(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The addresses of the brokers the topic's route names: one broker alone, or one per worker with --workers. */
export async function brokerAddressesOf(namesrv: string, topic: string): Promise<string[]> {
  return (await routeOf(namesrv, topic)).brokerDatas.map((b) => b.brokerAddrs['0']!);
}

/** A queue id's max offset summed over the route's brokers: which worker's broker a message landed on does not matter. */
export async function maxOffsetAcross(namesrv: string, topic: string, queueId: number): Promise<number> {
  let total = 0;
  for (const address of await brokerAddressesOf(namesrv, topic)) {
    const probe = await RemotingProbe.connect(address);
    try {
      total += await probe.maxOffset(topic, queueId);
    } finally {
      probe.close();
    }
  }
  return total;
}

/** A group's lag summed over the route's brokers, as monitoring sums it over a cluster. */
export async function lagAcross(namesrv: string, group: string, topic: string, queues: number): Promise<number> {
  const each = await Promise.all((await brokerAddressesOf(namesrv, topic)).map((address) => RemotingProbe.lag(address, group, topic, queues)));
  return each.reduce((a, b) => a + b, 0);
}
