import type { BrokerContext } from '../broker/broker-context.js';
import { resourceName } from './message-conversion.js';
import { BrokerError } from '../errors/broker-error.js';
import { toMillis, type Resource, type Timestamp } from './v2-types.js';

export interface OffsetRequest {
  group?: Resource | null;
  messageQueue?: { topic?: Resource | null; id: number } | null;
  offset?: number;
  queryOffsetPolicy?: 'BEGINNING' | 'END' | 'TIMESTAMP';
  timestamp?: Timestamp | null;
}

/** GetOffset, UpdateOffset and QueryOffset: offsets of one queue, for clients that keep their own position. */
export class QueueOffsets {
  constructor(private readonly ctx: BrokerContext) {}

  /** A group's committed offset in a queue (-1 when it has none), as 4.x offset queries answer. */
  async get(req: OffsetRequest): Promise<Record<string, unknown>> {
    const group = resourceName(req.group, 'group');
    const { topic, queueId } = this.queueOf(req);
    return { offset: (await this.ctx.store.committedOffset(group, topic, queueId)) ?? -1 };
  }

  async update(req: OffsetRequest): Promise<Record<string, unknown>> {
    const group = resourceName(req.group, 'group');
    const { topic, queueId } = this.queueOf(req);
    if (req.offset === undefined || req.offset < 0) throw new BrokerError('bad-request', 'the offset must not be negative');
    await this.ctx.store.commitOffset(group, topic, queueId, req.offset);
    return {};
  }

  async query(req: OffsetRequest): Promise<Record<string, unknown>> {
    const { topic, queueId } = this.queueOf(req);
    const store = this.ctx.store;
    switch (req.queryOffsetPolicy ?? 'BEGINNING') {
      case 'BEGINNING': return { offset: await store.minOffset(topic, queueId) };
      case 'END': return { offset: await store.maxOffset(topic, queueId) };
      case 'TIMESTAMP':
        if (!req.timestamp) throw new BrokerError('bad-request', 'a TIMESTAMP query needs a timestamp');
        return { offset: await store.offsetForTimestamp(topic, queueId, toMillis(req.timestamp)) };
    }
  }

  /** The queue a request names, which must exist. */
  private queueOf(req: OffsetRequest): { topic: string; queueId: number } {
    const topic = resourceName(req.messageQueue?.topic);
    const config = this.ctx.existingTopic(topic);
    const queueId = req.messageQueue?.id ?? -1;
    if (queueId < 0 || queueId >= config.readQueueNums) throw new BrokerError('bad-request', `topic ${topic} has no queue ${queueId}`);
    return { topic, queueId };
  }
}
