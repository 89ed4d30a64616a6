import { connectRemoting } from '../../src/remoting/remoting-client.js';
import { createRequest, type RemotingCommand } from '../../src/remoting/remoting-command.js';
import type { RemotingConnection } from '../../src/remoting/remoting-connection.js';

/** Reads offsets from a gateway over the wire, to observe what clients cannot tell a test. */
export class RemotingProbe {
  private constructor(private readonly conn: RemotingConnection) {}

  static async connect(address: string): Promise<RemotingProbe> {
    return new RemotingProbe(await connectRemoting(address));
  }

  invoke(code: number, extFields: Record<string, string>, body?: Buffer): Promise<RemotingCommand> {
    return this.conn.invoke(createRequest(code, extFields, body), 10_000);
  }

  async maxOffset(topic: string, queueId: number): Promise<number> {
    return Number((await this.invoke(30, { topic, queueId: String(queueId) })).extFields.offset);
  }

  /** The group's committed offset, or undefined when the gateway answers QUERY_NOT_FOUND. */
  async committedOffset(group: string, topic: string, queueId: number): Promise<number | undefined> {
    const r = await this.invoke(14, { consumerGroup: group, topic, queueId: String(queueId) });
    return r.code === 0 ? Number(r.extFields.offset) : undefined;
  }

  /** Lag as monitoring computes it: the sum over queues of max offset minus committed offset. */
  static async lag(address: string, group: string, topic: string, queues: number): Promise<number> {
    const probe = await RemotingProbe.connect(address);
    try {
      let total = 0;
      for (let q = 0; q < queues; q++) total += (await probe.maxOffset(topic, q)) - ((await probe.committedOffset(group, topic, q)) ?? 0);
      return total;
    } finally {
      probe.close();
    }
  }

  /** The response code a new connection gets for a route lookup of `topic`: whether the gateway still serves. */
  static async routeCode(address: string, topic: string): Promise<number> {
    const probe = await RemotingProbe.connect(address);
    try {
      return (await probe.invoke(105, { topic })).code;
    } finally {
      probe.close();
    }
  }

  /** Declares (or replaces) a subscription group, as `mqadmin updateSubGroup` does; fields left out keep their defaults. */
  static async declareGroup(address: string, config: { groupName: string } & Record<string, unknown>): Promise<void> {
    const probe = await RemotingProbe.connect(address);
    try {
      const r = await probe.invoke(200, {}, Buffer.from(JSON.stringify(config)));
      if (r.code !== 0) throw new Error(`declaring group ${config.groupName} failed: ${r.code} ${r.remark ?? ''}`);
    } finally {
      probe.close();
    }
  }

  /** Resolves when the gateway (or anything) closes this connection. */
  closed(): Promise<void> {
    return new Promise((resolve) => (this.conn.isClosed ? resolve() : this.conn.once('close', () => resolve())));
  }

  close(): void {
    this.conn.destroy();
  }
}
