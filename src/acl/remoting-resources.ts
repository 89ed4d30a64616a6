import { RequestCode as C, RefusedRequestCode as R } from '../protocol/request-code.js';
import { REQUEST_HEADERS } from '../protocol/request-headers.js';
import { decodeHeader, type HeaderDeclaration } from '../protocol/request-header.js';
import { parseJsonBody, type HeartbeatBody } from '../protocol/bodies.js';
import type { RemotingCommand } from '../remoting/remoting-command.js';
import { groupResource, isGroupResource, Perm } from './permission.js';

/**
 * Codes only an admin account may send. Apache's Permission.ADMIN_CODE has the first five; the gateway adds the
 * other codes that change topics, groups, offsets, configuration or the ACL itself, and the ACL reads (they
 * list secret keys).
 */
const ADMIN_ONLY = new Set<number>([
  C.UPDATE_AND_CREATE_TOPIC, C.UPDATE_BROKER_CONFIG, C.DELETE_TOPIC_IN_BROKER, C.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, C.DELETE_SUBSCRIPTIONGROUP,
  C.UPDATE_AND_CREATE_TOPIC_LIST, C.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST, C.DELETE_TOPIC_IN_NAMESRV, C.DELETE_KV_CONFIG,
  C.UPDATE_NAMESRV_CONFIG, C.INVOKE_BROKER_TO_RESET_OFFSET, C.CLONE_GROUP_OFFSET,
  R.UPDATE_AND_CREATE_ACL_CONFIG, R.DELETE_ACL_CONFIG, R.GET_BROKER_CLUSTER_ACL_INFO, R.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, R.GET_BROKER_CLUSTER_ACL_CONFIG,
]);

/**
 * Name-server reads: Apache's name server checks no ACL, and clients (mqadmin among them) look routes up
 * without credentials. The gateway answers both roles on one port, so these pass unchecked.
 */
export const NAME_SERVER_READS = new Set<number>([
  C.GET_ROUTEINFO_BY_TOPIC, C.GET_BROKER_CLUSTER_INFO, C.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, C.GET_TOPICS_BY_CLUSTER,
  C.GET_SYSTEM_TOPIC_LIST_FROM_NS, C.GET_KV_CONFIG, C.GET_NAMESRV_CONFIG,
]);

const SENDS = new Set<number>([C.SEND_MESSAGE, C.SEND_MESSAGE_V2, C.SEND_BATCH_MESSAGE, C.SEND_REPLY_MESSAGE, C.SEND_REPLY_MESSAGE_V2]);
const PULLS = new Set<number>([C.PULL_MESSAGE, C.LITE_PULL_MESSAGE]);
/** requests that read or write a group's consumption: SUB on the group, and on the topic when they name one */
const CONSUMING = new Set<number>([
  C.CONSUMER_SEND_MSG_BACK, C.UPDATE_CONSUMER_OFFSET, C.QUERY_CONSUMER_OFFSET, C.UNREGISTER_CLIENT, C.GET_CONSUMER_LIST_BY_GROUP,
]);

export interface RemotingNeeds {
  needs: Map<string, number>;
  adminOnly?: string;
}

function headerOf(req: RemotingCommand): { topic?: string; group?: string } {
  const declaration = REQUEST_HEADERS.get(req.code);
  if (!declaration) return {};
  const header = decodeHeader(declaration as HeaderDeclaration, req.extFields) as Record<string, unknown>;
  const field = (name: string | undefined) => (name && typeof header[name] === 'string' && header[name] !== '' ? header[name] as string : undefined);
  return { topic: field(declaration.topic), group: field(declaration.group) };
}

/**
 * What a 4.x request touches and needs, by Apache's PlainAccessValidator.parse: a send needs PUB on its topic (a
 * send to %RETRY%G needs SUB on group G); pulls, offsets, send-backs and unregistering need SUB on the group and
 * the topic; a heartbeat needs SUB on each consumer group and each subscribed topic; a query by key needs SUB on
 * the topic. Groups are keyed by their retry topic (%RETRY%G), so a retry topic is its group.
 */
export function remotingNeeds(req: RemotingCommand, codeName: string): RemotingNeeds {
  const needs = new Map<string, number>();
  const adminOnly = ADMIN_ONLY.has(req.code) ? `request code ${req.code} (${codeName})` : undefined;
  const add = (resource: string | undefined, perm: number) => {
    if (resource) needs.set(resource, (needs.get(resource) ?? 0) | perm);
  };
  if (req.code === C.HEART_BEAT) {
    const body = parseJsonBody<HeartbeatBody>(req.body, 'heartbeat');
    for (const consumer of Array.isArray(body.consumerDataSet) ? body.consumerDataSet : []) {
      if (typeof consumer?.groupName === 'string') add(groupResource(consumer.groupName), Perm.SUB);
      for (const sub of Array.isArray(consumer?.subscriptionDataSet) ? consumer.subscriptionDataSet : []) {
        if (typeof sub?.topic === 'string') add(sub.topic, Perm.SUB);
      }
    }
    return { needs };
  }
  const { topic, group } = headerOf(req);
  if (SENDS.has(req.code)) add(topic, topic !== undefined && isGroupResource(topic) ? Perm.SUB : Perm.PUB);
  else if (PULLS.has(req.code) || CONSUMING.has(req.code)) {
    add(topic, Perm.SUB);
    add(group && groupResource(group), Perm.SUB);
  } else if (req.code === C.QUERY_MESSAGE) add(topic, Perm.SUB);
  return { needs, adminOnly };
}
