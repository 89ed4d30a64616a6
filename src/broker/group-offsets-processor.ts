import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { decodeHeader } from '../protocol/request-header.js';
import { BrokerConsumeStatsHeader, CloneGroupOffsetHeader, ConsumeTimeSpanHeader } from '../protocol/request-headers.js';
import { ResponseCode } from '../protocol/request-code.js';
import type { OffsetWrapperBody, QueueTable } from '../protocol/admin-bodies.js';
import { consumeStatsListBody, queryConsumeTimeSpanBody, type QueueTimeSpanBody } from '../protocol/broker-admin-bodies.js';
import type { BrokerContext } from './broker-context.js';
import type { AdminService } from './admin-service.js';

/**
 * Groups' offsets across topics: copying one group's to another (CLONE_GROUP_OFFSET), every group's progress on
 * the broker (GET_BROKER_CONSUME_STATS, `mqadmin brokerConsumeStats`), and how far behind a group is in time
 * (QUERY_CONSUME_TIME_SPAN). A group's topics are those it committed offsets in, as in Apache RocketMQ.
 */
export class GroupOffsetsProcessor {
  constructor(private readonly ctx: BrokerContext, private readonly admin: AdminService) {}

  /**
   * Copies the source group's committed offsets of `topic` (of all its topics when none is named) to the destination
   * group. Unless `offline`, a topic an online source group does not subscribe to is skipped, as Apache skips it.
   */
  readonly cloneGroupOffset = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(CloneGroupOffsetHeader, req.extFields);
    const src = h.srcGroup;
    const dest = h.destGroup;
    const named = h.topic;
    const subscribed = h.offline === true ? undefined : this.admin.consumerGroup(src)?.subscriptions.map((s) => s.topic);
    const offsets = this.ctx.store.committedOffsets().filter((c) => c.group === src && (named === undefined || c.topic === named)
      && this.ctx.store.getTopic(c.topic) !== undefined && (subscribed === undefined || subscribed.length === 0 || subscribed.includes(c.topic)));
    for (const c of offsets) await this.ctx.store.commitOffset(dest, c.topic, c.queueId, c.offset);
    this.ctx.log.info({ srcGroup: src, destGroup: dest, topic: named, queues: offsets.length }, 'group offsets cloned');
    return createResponse(req, ResponseCode.SUCCESS);
  };

  /**
   * Every consumer group's committed and max offsets, per topic it committed in (only ordered topics when `isOrder`),
   * with the diff summed over all of them. The gateway's own cursors (%SCHEDULE%, %TRANSACTION%) are not consumer
   * groups, and Apache's broker keeps its counterparts elsewhere, so they are left out.
   */
  readonly getBrokerConsumeStats = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const onlyOrdered = decodeHeader(BrokerConsumeStatsHeader, req.extFields).isOrder === true;
    const brokerName = this.ctx.settings.brokerName;
    const groups = [];
    let totalDiff = 0;
    for (const group of this.admin.groupNames().filter((g) => !g.startsWith('%'))) {
      const subscribed = this.admin.consumerGroup(group)?.subscriptions.map((s) => s.topic) ?? [];
      const topics = [...new Set(this.ctx.store.committedOffsets().filter((c) => c.group === group).map((c) => c.topic))].sort()
        .filter((t) => (subscribed.length === 0 || subscribed.includes(t)) && (!onlyOrdered || this.ctx.store.getTopic(t)?.order === true));
      const tables: Array<QueueTable<OffsetWrapperBody>> = [];
      for (const topic of topics) {
        const rows = await this.admin.groupProgress(group, topic);
        if (rows.length === 0) continue;
        totalDiff += rows.reduce((sum, q) => sum + q.brokerOffset - q.consumerOffset, 0);
        tables.push(rows.map((q) => [
          { brokerName, queueId: q.queueId, topic },
          { brokerOffset: q.brokerOffset, consumerOffset: q.consumerOffset, pullOffset: q.consumerOffset, lastTimestamp: q.lastTimestamp },
        ] as const));
      }
      groups.push({ group, topics: tables });
    }
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, consumeStatsListBody(groups, this.ctx.settings.advertisedAddress, totalDiff));
  };

  /**
   * Per queue of the topic: the oldest and newest store times, the store time of the last message the group
   * consumed (the oldest one's when it consumed none), and how long its first unconsumed message has waited.
   */
  readonly queryConsumeTimeSpan = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(ConsumeTimeSpanHeader, req.extFields);
    const topic = h.topic;
    const group = h.group;
    const t = this.ctx.store.getTopic(topic);
    if (!t) return createResponse(req, ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist`);
    const store = this.ctx.store;
    const now = Date.now();
    const spans: QueueTimeSpanBody[] = await Promise.all(Array.from({ length: t.writeQueueNums }, async (_, queueId) => {
      const [min, max, committed, minTimeStamp] = await Promise.all([
        store.minOffset(topic, queueId), store.maxOffset(topic, queueId), store.committedOffset(group, topic, queueId), store.earliestStoreTime(topic, queueId),
      ]);
      const consumed = Math.max(min, committed ?? min);
      const maxTimeStamp = max > min ? await this.admin.storeTime(topic, queueId, max - 1) : 0;
      const consumeTimeStamp = consumed > min ? await this.admin.storeTime(topic, queueId, consumed - 1) : minTimeStamp;
      const delayTime = consumed < max ? now - (await this.admin.storeTime(topic, queueId, consumed)) : 0;
      return { messageQueue: { brokerName: this.ctx.settings.brokerName, queueId, topic }, minTimeStamp, maxTimeStamp, consumeTimeStamp, delayTime };
    }));
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, queryConsumeTimeSpanBody(spans));
  };
}
