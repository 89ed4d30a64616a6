import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { decodeHeader } from '../protocol/request-header.js';
import { ClusterHeader, KvConfigHeader, TopicHeader } from '../protocol/request-headers.js';
import { RequestCode, ResponseCode } from '../protocol/request-code.js';
import type { RemotingServer } from '../remoting/remoting-server.js';
import type { RemotingConnection } from '../remoting/remoting-connection.js';
import { DEFAULT_TOPIC } from '../broker/system-topics.js';
import { jsonBody, Perm, type BrokerData, type ClusterInfo, type TopicRouteData } from '../protocol/bodies.js';
import { BrokerError } from '../errors/broker-error.js';
import { topicListBody } from '../protocol/broker-admin-bodies.js';
import type { ClusterView } from '../cluster/cluster-view.js';
import type { MessageStore, TopicConfig } from '../store/message-store.js';

/** Queues of the topic named after the cluster, as Apache's brokers register it (TopicConfig's default). */
const CLUSTER_TOPIC_QUEUES = 16;

/** A broker of the cluster as routes show it: a slot with a live owner. */
interface ServedBroker {
  data: BrokerData;
  /** the slot's view of the store, in which its queues of a topic are counted */
  store: MessageStore;
}

/** What the name server asks of the brokers: the cluster's topics, and a topic created on a route lookup. */
export interface TopicDirectory {
  topicNames(): string[];
  /** Creates the topic if the brokers auto-create it; a BrokerError says they would not (or the name is bad). */
  createOnLookup(name: string): Promise<unknown>;
  /**
   * Whether this lookup may create the topic at all: with ACL on, only one signed by an account with rights on it
   * (lookups themselves pass unchecked, as at Apache's name server, which never creates a topic).
   */
  mayCreate?(name: string, request: RemotingCommand, connection: RemotingConnection): boolean;
  /** the queues a topic created by a send gets, or undefined when sends create no topic */
  createdQueues(): number | undefined;
}

/**
 * The name-server role, answered alike by every gateway of the cluster: routes list every broker slot that has
 * an owner, at the owner's address, with the slot's queues of the topic.
 */
export class RouteProcessor {
  /**
   * `slotStores[s]` is slot s's view of the store; `fallbackAddress` is where a client asking for system topics is
   * sent while no slot has an owner.
   */
  constructor(
    private readonly topics: TopicDirectory,
    private readonly cluster: ClusterView,
    private readonly slotStores: MessageStore[],
    private readonly fallbackAddress: string,
  ) {}

  /** Answers the name-server request codes on `server`. */
  registerOn(server: RemotingServer): void {
    server.register(RequestCode.GET_ROUTEINFO_BY_TOPIC, this.getRouteInfoByTopic);
    server.register(RequestCode.GET_BROKER_CLUSTER_INFO, this.getBrokerClusterInfo);
    server.register(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, this.getAllTopicList);
    server.register(RequestCode.GET_TOPICS_BY_CLUSTER, this.getTopicsByCluster);
    server.register(RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS, this.getSystemTopicList);
    server.register(RequestCode.GET_KV_CONFIG, this.getKvConfig);
    server.register(RequestCode.DELETE_KV_CONFIG, this.deleteKvConfig);
    server.register(RequestCode.DELETE_TOPIC_IN_NAMESRV, this.deleteTopicInNamesrv);
  }

  private servedBrokers(): ServedBroker[] {
    const served: ServedBroker[] = [];
    for (let slot = 0; slot < this.cluster.slots; slot++) {
      const owner = this.cluster.owner(slot);
      if (!owner) continue;
      const brokerName = this.cluster.brokerName(slot);
      served.push({ data: { cluster: this.cluster.clusterName, brokerName, brokerAddrs: { '0': owner.address } }, store: this.slotStores[slot]! });
    }
    return served;
  }

  /** The topic's queues on each served broker, leaving out brokers without any. */
  private routeOf(name: string): TopicRouteData {
    const route: TopicRouteData = { queueDatas: [], brokerDatas: [], filterServerTable: {} };
    for (const b of this.servedBrokers()) {
      const t: TopicConfig | undefined = b.store.getTopic(name);
      if (!t || (t.readQueueNums === 0 && t.writeQueueNums === 0)) continue;
      route.queueDatas.push({ brokerName: b.data.brokerName, readQueueNums: t.readQueueNums, writeQueueNums: t.writeQueueNums, perm: t.perm, topicSysFlag: t.topicSysFlag });
      route.brokerDatas.push(b.data);
    }
    return route;
  }

  /**
   * The route of a topic every broker of `brokers` registers for itself, readable and writable, with `queues`
   * queues: TBW102 (the default topic), the cluster's name and each broker's name (Apache's brokers register the
   * last two so that admin tools find a cluster's or a broker's addresses by route).
   */
  private builtInRoute(brokers: BrokerData[], queues: number): TopicRouteData {
    const perm = Perm.READ | Perm.WRITE | Perm.INHERIT;
    return {
      queueDatas: brokers.map((b) => ({ brokerName: b.brokerName, readQueueNums: queues, writeQueueNums: queues, perm, topicSysFlag: 0 })),
      brokerDatas: brokers,
      filterServerTable: {},
    };
  }

  /** A topic the brokers register without holding it, or undefined for any other name. */
  private builtInTopicRoute(name: string): TopicRouteData | undefined {
    const brokers = this.servedBrokers().map((b) => b.data);
    if (name === DEFAULT_TOPIC) {
      const queues = this.topics.createdQueues();
      return queues === undefined ? undefined : this.builtInRoute(brokers, queues);
    }
    if (name === this.cluster.clusterName) return this.builtInRoute(brokers, CLUSTER_TOPIC_QUEUES);
    const broker = brokers.filter((b) => b.brokerName === name);
    return broker.length > 0 ? this.builtInRoute(broker, 1) : undefined;
  }

  readonly getRouteInfoByTopic = async (req: RemotingCommand, conn: RemotingConnection): Promise<RemotingCommand> => {
    const name = decodeHeader(TopicHeader, req.extFields).topic;
    const noRoute = (): RemotingCommand => createResponse(req, ResponseCode.TOPIC_NOT_EXIST, `No topic route info in name server for the topic: ${name}`);
    const builtIn = this.builtInTopicRoute(name);
    if (builtIn) return builtIn.queueDatas.length > 0 ? createResponse(req, ResponseCode.SUCCESS, undefined, {}, jsonBody(builtIn)) : noRoute();
    if (this.topics.mayCreate?.(name, req, conn) !== false) {
      try {
        await this.topics.createOnLookup(name);
      } catch (err) {
        if (err instanceof BrokerError) return noRoute();
        throw err;
      }
    }
    const route = this.routeOf(name);
    // No broker serves the topic right now (its slots are between owners): as a name server without the route.
    if (route.queueDatas.length === 0) return noRoute();
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, jsonBody(route));
  };

  readonly getBrokerClusterInfo = (req: RemotingCommand): RemotingCommand => {
    const brokers = this.servedBrokers().map((b) => b.data);
    const info: ClusterInfo = {
      brokerAddrTable: Object.fromEntries(brokers.map((b) => [b.brokerName, b])),
      clusterAddrTable: { [this.cluster.clusterName]: brokers.map((b) => b.brokerName) },
    };
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, jsonBody(info));
  };

  readonly getAllTopicList = (req: RemotingCommand): RemotingCommand =>
    createResponse(req, ResponseCode.SUCCESS, undefined, {}, jsonBody({ topicList: this.topics.topicNames() }));

  /** The topics of a cluster's brokers: every topic for this gateway's cluster, none for another (as Apache answers). */
  readonly getTopicsByCluster = (req: RemotingCommand): RemotingCommand => {
    const cluster = decodeHeader(ClusterHeader, req.extFields).cluster;
    const topics = cluster === this.cluster.clusterName ? this.topics.topicNames() : [];
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, topicListBody(topics));
  };

  /**
   * The name server's system topics, which are its cluster and broker names (clients route to them to check a
   * broker); the broker's own system topics come from GET_SYSTEM_TOPIC_LIST_FROM_BROKER at the address given.
   */
  readonly getSystemTopicList = (req: RemotingCommand): RemotingCommand => {
    const brokers = this.servedBrokers().map((b) => b.data);
    const names = [this.cluster.clusterName, ...brokers.map((b) => b.brokerName)];
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, topicListBody(names, brokers[0]?.brokerAddrs['0'] ?? this.fallbackAddress));
  };

  /**
   * Routes are the broker's topics, so once DELETE_TOPIC_IN_BROKER removed a topic there is no route left to drop
   * (mqadmin deleteTopic sends both).
   */
  readonly deleteTopicInNamesrv = (req: RemotingCommand): RemotingCommand => {
    decodeHeader(TopicHeader, req.extFields).topic;
    return createResponse(req, ResponseCode.SUCCESS);
  };

  /** Nothing to delete: no KV config is kept (mqadmin deleteTopic clears a topic's order config this way). */
  readonly deleteKvConfig = (req: RemotingCommand): RemotingCommand => createResponse(req, ResponseCode.SUCCESS);

  /** The gateway keeps no KV config; RocketMQ clients treat QUERY_NOT_FOUND as "unset". */
  readonly getKvConfig = (req: RemotingCommand): RemotingCommand => {
    const h = decodeHeader(KvConfigHeader, req.extFields);
    return createResponse(req, ResponseCode.QUERY_NOT_FOUND, `No config item, Namespace: ${h.namespace ?? ''} Key: ${h.key ?? ''}`);
  };
}
