import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { HeaderFields } from '../protocol/header-fields.js';
import { ResponseCode } from '../protocol/request-code.js';
import { jsonBody, type BrokerData, type ClusterInfo, type TopicRouteData } from '../protocol/bodies.js';
import { RemotingRequestError } from '../remoting/errors.js';
import { topicListBody } from '../protocol/broker-admin-bodies.js';
import type { BrokerContext } from '../broker/broker-context.js';

/**
 * The name-server role: this gateway is the only broker of its cluster, so every route
 * points back at its own advertised address.
 */
export class RouteProcessor {
  constructor(private readonly ctx: BrokerContext) {}

  private brokerData(): BrokerData {
    const s = this.ctx.settings;
    return { cluster: s.clusterName, brokerName: s.brokerName, brokerAddrs: { '0': s.advertisedAddress } };
  }

  readonly getRouteInfoByTopic = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const name = new HeaderFields(req.extFields).str('topic');
    let topic;
    try {
      topic = await this.ctx.topicOrCreate(name);
    } catch (err) {
      if (err instanceof RemotingRequestError) {
        return createResponse(req, ResponseCode.TOPIC_NOT_EXIST, `No topic route info in name server for the topic: ${name}`);
      }
      throw err;
    }
    const route: TopicRouteData = {
      queueDatas: [{ brokerName: this.ctx.settings.brokerName, readQueueNums: topic.readQueueNums, writeQueueNums: topic.writeQueueNums, perm: topic.perm, topicSysFlag: topic.topicSysFlag }],
      brokerDatas: [this.brokerData()],
      filterServerTable: {},
    };
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, jsonBody(route));
  };

  readonly getBrokerClusterInfo = (req: RemotingCommand): RemotingCommand => {
    const s = this.ctx.settings;
    const info: ClusterInfo = { brokerAddrTable: { [s.brokerName]: this.brokerData() }, clusterAddrTable: { [s.clusterName]: [s.brokerName] } };
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, jsonBody(info));
  };

  readonly getAllTopicList = (req: RemotingCommand): RemotingCommand =>
    createResponse(req, ResponseCode.SUCCESS, undefined, {}, jsonBody({ topicList: this.ctx.store.listTopics().map((t) => t.name) }));

  /** The topics of a cluster's brokers: every topic for this gateway's cluster, none for another (as Apache answers). */
  readonly getTopicsByCluster = (req: RemotingCommand): RemotingCommand => {
    const cluster = new HeaderFields(req.extFields).str('cluster');
    const topics = cluster === this.ctx.settings.clusterName ? this.ctx.store.listTopics().map((t) => t.name) : [];
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, topicListBody(topics));
  };

  /**
   * The name server's system topics, which are its cluster and broker names (clients route to them to check a
   * broker); the broker's own system topics come from GET_SYSTEM_TOPIC_LIST_FROM_BROKER at the address given.
   */
  readonly getSystemTopicList = (req: RemotingCommand): RemotingCommand => {
    const s = this.ctx.settings;
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, topicListBody([s.clusterName, s.brokerName], s.advertisedAddress));
  };

  /**
   * Routes are the broker's topics, so once DELETE_TOPIC_IN_BROKER removed a topic there is no route left to drop
   * (mqadmin deleteTopic sends both).
   */
  readonly deleteTopicInNamesrv = (req: RemotingCommand): RemotingCommand => {
    new HeaderFields(req.extFields).str('topic');
    return createResponse(req, ResponseCode.SUCCESS);
  };

  /** Nothing to delete: no KV config is kept (mqadmin deleteTopic clears a topic's order config this way). */
  readonly deleteKvConfig = (req: RemotingCommand): RemotingCommand => createResponse(req, ResponseCode.SUCCESS);

  /** The gateway keeps no KV config; RocketMQ clients treat QUERY_NOT_FOUND as "unset". */
  readonly getKvConfig = (req: RemotingCommand): RemotingCommand => {
    const h = new HeaderFields(req.extFields);
    return createResponse(req, ResponseCode.QUERY_NOT_FOUND, `No config item, Namespace: ${h.optStr('namespace') ?? ''} Key: ${h.optStr('key') ?? ''}`);
  };
}
