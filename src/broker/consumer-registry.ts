import type { Logger } from '../logger.js';
import type { RemotingConnection } from '../remoting/remoting-connection.js';
import { createRequest, ONEWAY_FLAG, type SerializeType } from '../remoting/remoting-command.js';
import { RequestCode } from '../protocol/request-code.js';
import { compileSubscription, isTagType, SubscriptionError, type Subscription, type SubscriptionView } from '../protocol/subscription.js';
import type { ConsumerDataBody, HeartbeatBody } from '../protocol/bodies.js';

/** What a client's heartbeat command says about the client itself. */
export interface ClientIdentity {
  serializeType: SerializeType;
  /** RocketMQ LanguageCode name, e.g. JAVA, NODE_JS */
  language: string;
  /** the client's RocketMQ version ordinal */
  version: number;
}

export interface ClientChannel extends ClientIdentity {
  clientId: string;
  connection: RemotingConnection;
  lastHeartbeat: number;
}

export interface ConsumerGroupView {
  clients: ClientChannel[];
  /** topic → the subscription's expression and its type as the client sent them */
  subscriptions: Map<string, SubscriptionView>;
  messageModel: string;
  consumeFromWhere: string;
  consumeType: string;
}

/** A heartbeat's subscription, compiled when it changes; an expression that does not compile keeps its error. */
interface RegisteredSubscription extends SubscriptionView {
  compiled: Subscription | SubscriptionError;
}

interface ConsumerGroup {
  clients: Map<string, ClientChannel>;
  subscriptions: Map<string, RegisteredSubscription>;
  messageModel: string;
  consumeFromWhere: string;
  consumeType: string;
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
  heartbeat(body: HeartbeatBody, connection: RemotingConnection, identity: ClientIdentity): ConsumerDataBody[] {
    const now = Date.now();
    const channel = (): ClientChannel => ({ clientId: body.clientID, connection, ...identity, lastHeartbeat: now });
    for (const p of body.producerDataSet ?? []) {
      let group = this.producers.get(p.groupName);
      if (!group) this.producers.set(p.groupName, (group = new Map()));
      group.set(body.clientID, channel());
    }
    const consumers = body.consumerDataSet ?? [];
    for (const c of consumers) {
      let group = this.consumers.get(c.groupName);
      if (!group) {
        group = {
          clients: new Map(),
          subscriptions: new Map(),
          messageModel: c.messageModel ?? 'CLUSTERING',
          consumeFromWhere: c.consumeFromWhere ?? '',
          consumeType: c.consumeType ?? '',
        };
        this.consumers.set(c.groupName, group);
      }
      group.messageModel = c.messageModel ?? group.messageModel;
      group.consumeFromWhere = c.consumeFromWhere ?? group.consumeFromWhere;
      group.consumeType = c.consumeType ?? group.consumeType;
      for (const s of c.subscriptionDataSet ?? []) this.subscribe(c.groupName, group, s.topic, s.expressionType, s.subString);
      const isNew = !group.clients.has(body.clientID);
      const existing = group.clients.get(body.clientID);
      if (existing && existing.connection !== connection) existing.connection = connection;
      group.clients.set(body.clientID, existing ? { ...existing, connection, ...identity, lastHeartbeat: now } : channel());
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

  consumerGroupNames(): string[] {
    return [...this.consumers.keys()];
  }

  producerGroupNames(): string[] {
    return [...this.producers].filter(([, clients]) => clients.size > 0).map(([name]) => name);
  }

  consumerGroup(name: string): ConsumerGroupView | undefined {
    const g = this.consumers.get(name);
    if (!g) return undefined;
    const subscriptions = new Map([...g.subscriptions].map(([topic, s]) => [topic, { topic, expression: s.expression, type: s.type }]));
    return { clients: [...g.clients.values()], subscriptions, messageModel: g.messageModel, consumeFromWhere: g.consumeFromWhere, consumeType: g.consumeType };
  }

  producersOf(group: string): ClientChannel[] {
    return [...(this.producers.get(group)?.values() ?? [])];
  }

  /** Every live client channel, a producer and consumer on one connection counted once per role. */
  channels(): Array<{ role: 'producer' | 'consumer'; channel: ClientChannel }> {
    const result: Array<{ role: 'producer' | 'consumer'; channel: ClientChannel }> = [];
    for (const group of this.producers.values()) for (const channel of group.values()) result.push({ role: 'producer', channel });
    for (const group of this.consumers.values()) for (const channel of group.clients.values()) result.push({ role: 'consumer', channel });
    return result;
  }

  /**
   * The subscription a group's heartbeats registered for a topic, compiled; a SubscriptionError if it does not
   * compile (Apache RocketMQ then has no filter data for it); undefined if none is registered.
   */
  subscription(group: string, topic: string): Subscription | SubscriptionError | undefined {
    return this.consumers.get(group)?.subscriptions.get(topic)?.compiled;
  }

  private subscribe(groupName: string, group: ConsumerGroup, topic: string, type: string | undefined, subString: string | undefined): void {
    const expression = subString ?? '*';
    const declared = isTagType(type) ? 'TAG' : String(type);
    const known = group.subscriptions.get(topic);
    if (known && known.expression === expression && known.type === declared) return;
    let compiled: Subscription | SubscriptionError;
    try {
      compiled = compileSubscription(type, expression);
    } catch (err) {
      if (!(err instanceof SubscriptionError)) throw err;
      compiled = err;
      this.log.warn({ group: groupName, topic, type, expression, reason: err.message }, 'consumer subscription refused');
    }
    group.subscriptions.set(topic, { topic, expression, type: declared, compiled });
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
