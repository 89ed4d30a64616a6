import type { Logger } from '../logger.js';
import type { RemotingConnection } from '../remoting/remoting-connection.js';
import { createRequest, ONEWAY_FLAG, type SerializeType } from '../remoting/remoting-command.js';
import { RequestCode } from '../protocol/request-code.js';
import { parseTagExpression, type TagSubscription } from '../protocol/subscription.js';
import type { ConsumerDataBody, HeartbeatBody } from '../protocol/bodies.js';

export interface ClientChannel {
  clientId: string;
  connection: RemotingConnection;
  serializeType: SerializeType;
  lastHeartbeat: number;
}

interface ConsumerGroup {
  clients: Map<string, ClientChannel>;
  subscriptions: Map<string, TagSubscription>;
  messageModel: string;
  consumeFromWhere: string;
}

/**
 * Who is connected as producer or consumer of which group, with the subscriptions their
 * heartbeats carry; tells a group's members when its membership changes so they rebalance.
 */
export class ConsumerRegistry {
  private readonly consumers = new Map<string, ConsumerGroup>();
  private readonly producers = new Map<string, Map<string, ClientChannel>>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly log: Logger, private readonly clientExpiryMs: number) {
    this.timer = setInterval(() => this.expire(), Math.min(10_000, clientExpiryMs));
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Registers a heartbeat; returns the consumer groups it names (retry topics for clustering groups are the caller's). */
  heartbeat(body: HeartbeatBody, connection: RemotingConnection, serializeType: SerializeType): ConsumerDataBody[] {
    const now = Date.now();
    const channel = (): ClientChannel => ({ clientId: body.clientID, connection, serializeType, lastHeartbeat: now });
    for (const p of body.producerDataSet ?? []) {
      let group = this.producers.get(p.groupName);
      if (!group) this.producers.set(p.groupName, (group = new Map()));
      group.set(body.clientID, channel());
    }
    const consumers = body.consumerDataSet ?? [];
    for (const c of consumers) {
      let group = this.consumers.get(c.groupName);
      if (!group) {
        group = { clients: new Map(), subscriptions: new Map(), messageModel: c.messageModel ?? 'CLUSTERING', consumeFromWhere: c.consumeFromWhere ?? '' };
        this.consumers.set(c.groupName, group);
      }
      group.messageModel = c.messageModel ?? group.messageModel;
      group.consumeFromWhere = c.consumeFromWhere ?? group.consumeFromWhere;
      for (const s of c.subscriptionDataSet ?? []) group.subscriptions.set(s.topic, parseTagExpression(s.subString));
      const isNew = !group.clients.has(body.clientID);
      const existing = group.clients.get(body.clientID);
      if (existing && existing.connection !== connection) existing.connection = connection;
      group.clients.set(body.clientID, existing ? { ...existing, connection, serializeType, lastHeartbeat: now } : channel());
      if (isNew) {
        this.log.info({ group: c.groupName, clientId: body.clientID, members: group.clients.size }, 'consumer joined group');
        this.notifyChanged(c.groupName);
      }
    }
    return consumers;
  }

  unregister(clientId: string, producerGroup?: string, consumerGroup?: string): void {
    if (producerGroup) this.producers.get(producerGroup)?.delete(clientId);
    if (consumerGroup) this.removeConsumer(consumerGroup, clientId, 'unregistered');
  }

  /** The connection of a producer client by its client id (whatever its group), as replies are addressed. */
  producerChannel(clientId: string): ClientChannel | undefined {
    for (const group of this.producers.values()) {
      const ch = group.get(clientId);
      if (ch) return ch;
    }
    return undefined;
  }

  /** Some live producer connection of `group`, for calls back to the group such as transaction checks. */
  anyProducerOf(group: string): ClientChannel | undefined {
    let newest: ClientChannel | undefined;
    for (const ch of this.producers.get(group)?.values() ?? []) if (!newest || ch.lastHeartbeat > newest.lastHeartbeat) newest = ch;
    return newest;
  }

  /** A closed connection takes all its clients with it. */
  connectionClosed(connection: RemotingConnection): void {
    for (const group of this.producers.values()) {
      for (const [id, ch] of group) if (ch.connection === connection) group.delete(id);
    }
    for (const [name, group] of this.consumers) {
      for (const [id, ch] of group.clients) if (ch.connection === connection) this.removeConsumer(name, id, 'connection closed');
    }
  }

  consumerIds(group: string): string[] {
    return [...(this.consumers.get(group)?.clients.keys() ?? [])];
  }

  subscription(group: string, topic: string): TagSubscription | undefined {
    return this.consumers.get(group)?.subscriptions.get(topic);
  }

  private removeConsumer(groupName: string, clientId: string, reason: string): void {
    const group = this.consumers.get(groupName);
    if (!group?.clients.delete(clientId)) return;
    this.log.info({ group: groupName, clientId, members: group.clients.size, reason }, 'consumer left group');
    if (group.clients.size === 0) this.consumers.delete(groupName);
    else this.notifyChanged(groupName);
  }

  private notifyChanged(groupName: string): void {
    const group = this.consumers.get(groupName);
    if (!group) return;
    for (const ch of group.clients.values()) {
      const req = createRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, { consumerGroup: groupName }, undefined, ch.serializeType);
      req.flag |= ONEWAY_FLAG;
      ch.connection.send(req);
    }
  }

  private expire(): void {
    const cutoff = Date.now() - this.clientExpiryMs;
    for (const [name, group] of this.consumers) {
      for (const [id, ch] of group.clients) if (ch.lastHeartbeat < cutoff) this.removeConsumer(name, id, 'heartbeat expired');
    }
    for (const group of this.producers.values()) {
      for (const [id, ch] of group) if (ch.lastHeartbeat < cutoff) group.delete(id);
    }
  }
}
