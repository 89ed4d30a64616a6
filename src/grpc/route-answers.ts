import { Perm } from '../protocol/bodies.js';
import type { TopicConfig } from '../store/message-store.js';
import type { Endpoints, MessageType, Resource } from './v2-types.js';

/** The message types a route says its queues take: any queue takes any type, as any 4.x queue does. */
const ACCEPTED_TYPES: MessageType[] = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'];

/** A broker as routes name it to RocketMQ 5 clients. */
export interface RouteBroker {
  name: string;
  id: number;
  endpoints: Endpoints;
}

/** The endpoints of a host:port. */
export function endpointsOf(address: string): Endpoints {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  return { scheme: /^[\d.]+$/.test(host) ? 'IPv4' : 'DOMAIN_NAME', addresses: [{ host, port: Number(address.slice(i + 1)) }] };
}

function permissionOf(topic: TopicConfig, queueId: number): string {
  const readable = queueId < topic.readQueueNums && (topic.perm & Perm.READ) !== 0;
  const writable = queueId < topic.writeQueueNums && (topic.perm & Perm.WRITE) !== 0;
  return readable && writable ? 'READ_WRITE' : readable ? 'READ' : writable ? 'WRITE' : 'NONE';
}

/** QueryRoute's answer: every queue of the topic on each broker (brokers of one cluster hold a topic alike). */
export function routeAnswer(resource: Resource, topic: TopicConfig, brokers: RouteBroker[]): Record<string, unknown> {
  const queues = Math.max(topic.readQueueNums, topic.writeQueueNums);
  return {
    messageQueues: brokers.flatMap((broker) => Array.from({ length: queues }, (_, id) => ({
      topic: resource,
      id,
      permission: permissionOf(topic, id),
      broker,
      acceptMessageTypes: ACCEPTED_TYPES,
    }))),
  };
}

/**
 * A push consumer's share of a topic: the whole of each broker, as one assignment with queue id -1 (as Apache's
 * proxy assigns for non-FIFO groups); its receives then pop from every queue, and pops share them among members.
 */
export function assignmentAnswer(resource: Resource, brokers: RouteBroker[]): Record<string, unknown> {
  return { assignments: brokers.map((broker) => ({ messageQueue: { topic: resource, id: -1, permission: 'READ_WRITE', broker, acceptMessageTypes: ACCEPTED_TYPES } })) };
}
