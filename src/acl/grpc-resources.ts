import { groupResource, isGroupResource, Perm } from './permission.js';

interface Resource {
  name?: string;
  resourceNamespace?: string;
}

/** The fields of the v2 requests the ACL reads, as @grpc/proto-loader presents them. */
interface V2Request {
  topic?: Resource | null;
  group?: Resource | null;
  messageQueue?: { topic?: Resource | null } | null;
  messages?: Array<{ topic?: Resource | null }>;
  clientType?: string;
}

/** Apache's NamespaceUtil.wrapNamespace: ns%name, or the name alone. */
const nameOf = (r: Resource | null | undefined): string | undefined =>
  r?.name ? (r.resourceNamespace ? `${r.resourceNamespace}%${r.name}` : r.name) : undefined;

const CONSUMER_TYPES = new Set(['PUSH_CONSUMER', 'SIMPLE_CONSUMER']);

/**
 * What a RocketMQ 5 call touches and needs, by Apache's PlainAccessResource.parse for gRPC: a send PUB on its topic,
 * (each message's, should a batch mix them) receives, acks, invisibility changes, dead-lettering and assignments SUB on group and topic, a route ANY on
 * its topic, a consumer's heartbeat and termination SUB on its group, an ended transaction PUB on its topic.
 * The gateway adds the offset calls (SUB on group and topic). A field the call lacks adds nothing: the call
 * itself then refuses it.
 */
export function grpcNeeds(method: string, req: V2Request): Map<string, number> {
  const needs = new Map<string, number>();
  const topic = (r: Resource | null | undefined, perm: number) => {
    const name = nameOf(r);
    if (name) needs.set(name, (needs.get(name) ?? 0) | (isGroupResource(name) && perm === Perm.PUB ? Perm.SUB : perm));
  };
  const group = (r: Resource | null | undefined) => {
    const name = nameOf(r);
    if (name) needs.set(groupResource(name), Perm.SUB);
  };
  switch (method) {
    case 'QueryRoute': topic(req.topic, Perm.ANY); break;
    case 'SendMessage': for (const m of req.messages ?? []) topic(m.topic, Perm.PUB); break;
    case 'EndTransaction': topic(req.topic, Perm.PUB); break;
    case 'Heartbeat': if (CONSUMER_TYPES.has(req.clientType ?? '')) group(req.group); break;
    case 'NotifyClientTermination': group(req.group); break;
    case 'ReceiveMessage':
    case 'PullMessage':
    case 'UpdateOffset':
    case 'GetOffset':
    case 'QueryOffset':
      group(req.group);
      topic(req.messageQueue?.topic, Perm.SUB);
      break;
    case 'AckMessage':
    case 'ForwardMessageToDeadLetterQueue':
    case 'ChangeInvisibleDuration':
    case 'QueryAssignment':
      group(req.group);
      topic(req.topic, Perm.SUB);
      break;
    default: break;
  }
  return needs;
}

