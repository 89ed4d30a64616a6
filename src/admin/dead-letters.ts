import type { FastifyInstance } from 'fastify';
import { DLQ_PREFIX, RETRY_PREFIX, type BrokerContext } from '../broker/broker-context.js';
import type { AdminService } from '../broker/admin-service.js';
import { createOffsetMsgId, parseOffsetMsgId } from '../protocol/message-codec.js';
import { Prop } from '../protocol/message-properties.js';
import type { StoredMessage } from '../store/message-store.js';
import { BrokerError } from '../errors/broker-error.js';
import { messageJson, wholeNumber } from './admin-api.js';
import { storeAdminMessage, type AdminSendResult } from './admin-messages.js';

/** Dead letters listed per page, and re-sent per request ("all" re-sends the oldest this many). */
export const MAX_DEAD_LETTERS_PAGE = 64;
export const MAX_DEAD_LETTERS_RESENT = 1000;
const READ_BYTES = 4 * 1024 * 1024;

/**
 * Where a re-sent dead letter goes. `group` (the default): the group's retry topic, which only this group consumes,
 * the message keeping its original topic in RETRY_TOPIC as a retry does, so that its clients see it under that
 * topic. `topic`: the original topic itself, where every group subscribed to it gets it again.
 */
export type ResendTarget = 'group' | 'topic';

/** Properties of the dead letter's last trip that must not ride along: a delay, a timer, a schedule's destination. */
const DROPPED_ON_RESEND = [Prop.DELAY_TIME_LEVEL, Prop.TIMER_DELIVER_MS, Prop.TIMER_DELAY_SEC, Prop.TIMER_DELAY_MS, Prop.TIMER_OUT_MS,
  Prop.TIMER_ENQUEUE_MS, Prop.TIMER_DEQUEUE_MS, Prop.REAL_TOPIC, Prop.REAL_QUEUE_ID, Prop.WAIT_STORE_MSG_OK, Prop.MAX_RECONSUME_TIMES];

const originalTopic = (m: StoredMessage): string | null => m.properties.get(Prop.RETRY_TOPIC) ?? null;

/**
 * A group's dead letters (%DLQ%<group>): listed a page at a time, and re-sent (one, some or all) so that the group
 * consumes them again, each as a new message with the dead letter's body, keys, tags and msgId, and a
 * reconsume count of 0, so that it gets the group's retries anew.
 */
export class DeadLetters {
  constructor(private readonly ctx: BrokerContext, private readonly admin: AdminService) {}

  async list(group: string, from: number | undefined, max: number) {
    const topic = DLQ_PREFIX + group;
    const t = this.ctx.store.getTopic(topic);
    if (!t) {
      if (!this.admin.isKnownGroup(group)) throw new BrokerError('group-not-found', `consumer group ${group} is not known here`);
      return { group, topic, total: 0, minOffset: 0, maxOffset: 0, messages: [] };
    }
    // Apache's dead-letter topics have one queue; any more are read too, one after the other.
    const messages = [];
    let total = 0;
    let minOffset = 0;
    let maxOffset = 0;
    for (let queueId = 0; queueId < t.readQueueNums; queueId++) {
      const [min, maxOff] = await Promise.all([this.ctx.store.minOffset(topic, queueId), this.ctx.store.maxOffset(topic, queueId)]);
      total += maxOff - min;
      if (queueId === 0) [minOffset, maxOffset] = [min, maxOff];
      const left = max - messages.length;
      if (left <= 0) continue;
      const start = queueId === 0 && from !== undefined ? Math.max(from, min) : min;
      const r = await this.ctx.store.read(topic, queueId, start, left, READ_BYTES);
      if (r.status === 'FOUND') for (const m of r.messages) messages.push(this.json(m));
    }
    return { group, topic, total, minOffset, maxOffset, messages };
  }

  /** Re-sends the dead letters of `offsetMsgIds`, or the oldest MAX_DEAD_LETTERS_RESENT when `all`. */
  async resend(group: string, which: { all: true } | { offsetMsgIds: string[] }, target: ResendTarget) {
    const topic = DLQ_PREFIX + group;
    const letters: StoredMessage[] = [];
    const failed: Array<{ msgId: string; error: string }> = [];
    if ('all' in which) {
      const t = this.ctx.store.getTopic(topic);
      for (let queueId = 0; t && queueId < t.readQueueNums && letters.length < MAX_DEAD_LETTERS_RESENT; queueId++) {
        let offset = await this.ctx.store.minOffset(topic, queueId);
        for (;;) {
          const r = await this.ctx.store.read(topic, queueId, offset, Math.min(MAX_DEAD_LETTERS_PAGE, MAX_DEAD_LETTERS_RESENT - letters.length), READ_BYTES);
          if (r.status !== 'FOUND' || r.messages.length === 0) break;
          letters.push(...r.messages);
          offset = r.messages.at(-1)!.queueOffset + 1;
          if (letters.length >= MAX_DEAD_LETTERS_RESENT) break;
        }
      }
    } else {
      for (const id of which.offsetMsgIds) {
        const located = parseOffsetMsgId(id);
        const m = located && (await this.ctx.store.lookup(located.locator));
        if (m && m.topic === topic) letters.push(m);
        else failed.push({ msgId: id, error: `no dead letter of ${group} has the offsetMsgId ${id}` });
      }
    }
    const resent: Array<AdminSendResult & { from: string }> = [];
    for (const m of letters) {
      try {
        resent.push({ from: this.offsetMsgId(m), ...(await this.resendOne(group, m, target)) });
      } catch (err) {
        if (!(err instanceof BrokerError)) throw err;
        failed.push({ msgId: this.offsetMsgId(m), error: err.message });
      }
    }
    this.ctx.log.info({ group, target, resent: resent.length, failed: failed.length }, 'dead letters re-sent');
    return { group, target, resent, failed };
  }

  private async resendOne(group: string, m: StoredMessage, target: ResendTarget): Promise<AdminSendResult> {
    const original = originalTopic(m);
    const properties = new Map(m.properties);
    for (const p of DROPPED_ON_RESEND) properties.delete(p);
    const message = { body: m.body, flag: m.flag, properties, reconsumeTimes: 0 };
    if (target === 'group') {
      const retry = await this.ctx.topicOrCreate(RETRY_PREFIX + group, 1);
      if (original === null) properties.set(Prop.RETRY_TOPIC, retry.name);
      return storeAdminMessage(this.ctx, retry.name, message, 0);
    }
    if (original === null || original.startsWith(RETRY_PREFIX)) {
      throw new BrokerError('bad-request', `the dead letter does not say which topic it came from (no ${Prop.RETRY_TOPIC} property); re-send it to the group instead`);
    }
    properties.delete(Prop.RETRY_TOPIC);
    return storeAdminMessage(this.ctx, original, message);
  }

  private offsetMsgId(m: StoredMessage): string {
    return createOffsetMsgId(this.ctx.settings.advertisedAddress, m.locator);
  }

  private json(m: StoredMessage) {
    return { ...messageJson({ message: m, offsetMsgId: this.offsetMsgId(m) }), originalTopic: originalTopic(m) };
  }
}

/** An optional query number: left out or empty is undefined. */
const optionalWholeNumber = (value: string | undefined, what: string, min: number, max: number): number | undefined =>
  value === undefined || value === '' ? undefined : wholeNumber(value, what, min, max);

/**
 * GET /api/groups/:group/dead-letters?offset=&max=: a page of the group's dead letters, oldest first.
 * POST /api/groups/:group/dead-letters/resend { msgIds: [offsetMsgId…] } or { all: true }, with target "group"
 * (the default, the group's retry topic) or "topic" (the original topic).
 */
export function registerDeadLetterApi(app: FastifyInstance, deps: () => { ctx: BrokerContext; admin: AdminService }): void {
  app.get<{ Params: { group: string }; Querystring: { offset?: string; max?: string } }>('/api/groups/:group/dead-letters', async (req) => {
    const { ctx, admin } = deps();
    const from = optionalWholeNumber(req.query.offset, 'offset', 0, Number.MAX_SAFE_INTEGER);
    const max = optionalWholeNumber(req.query.max, 'max', 1, MAX_DEAD_LETTERS_PAGE) ?? 32;
    return new DeadLetters(ctx, admin).list(req.params.group, from, max);
  });

  app.post<{ Params: { group: string }; Body: Record<string, unknown> | undefined }>('/api/groups/:group/dead-letters/resend', async (req) => {
    const { ctx, admin } = deps();
    const b = req.body ?? {};
    if (typeof b !== 'object' || Array.isArray(b)) throw new BrokerError('bad-request', 'the body must be a JSON object');
    const target = b.target ?? 'group';
    if (target !== 'group' && target !== 'topic') throw new BrokerError('bad-request', 'target must be "group" (the group\'s retry topic) or "topic" (the original topic)');
    const ids = b.msgIds;
    const validIds = Array.isArray(ids) && ids.length > 0 && ids.length <= MAX_DEAD_LETTERS_RESENT && ids.every((id) => typeof id === 'string' && id !== '');
    if ((b.all === true) === validIds) {
      throw new BrokerError('bad-request', `give either msgIds (1 to ${MAX_DEAD_LETTERS_RESENT} offsetMsgIds of dead letters) or all: true`);
    }
    const which = b.all === true ? { all: true as const } : { offsetMsgIds: ids as string[] };
    return new DeadLetters(ctx, admin).resend(req.params.group, which, target);
  });
}
