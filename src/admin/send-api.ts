import type { FastifyInstance } from 'fastify';
import type { BrokerContext } from '../broker/broker-context.js';
import { Prop } from '../protocol/message-properties.js';
import { BrokerError } from '../errors/broker-error.js';
import { storeAdminMessage, UniqueIdSource } from './admin-messages.js';

/** Tags and each key as Apache's Validators allow them: no separators of their own inside. */
const TAG = /^[^|\s]{1,128}$/;
const KEY = /^\S{1,128}$/;
const MAX_KEYS = 32;

const optionalText = (value: unknown, what: string): string | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new BrokerError('bad-request', `${what} must be a string`);
  return value;
};

/**
 * POST /api/topics/:name/messages { body, tag?, keys?: string | string[] }: stores a test message in the topic, as
 * a producer's send would, and answers where it went (msgId, offsetMsgId, queue and offset), as a SendResult says.
 * The body is text, stored as its UTF-8 bytes.
 */
export function registerSendApi(app: FastifyInstance, deps: () => { ctx: BrokerContext }): void {
  let ids: UniqueIdSource | undefined;
  app.post<{ Params: { name: string }; Body: Record<string, unknown> | undefined }>('/api/topics/:name/messages', async (req, reply) => {
    const { ctx } = deps();
    ids ??= new UniqueIdSource(ctx.settings.advertisedAddress);
    const b = req.body ?? {};
    if (typeof b !== 'object' || Array.isArray(b)) throw new BrokerError('bad-request', 'the body must be a JSON object');
    if (typeof b.body !== 'string' || b.body === '') throw new BrokerError('message-body-empty', 'body is required: the text of the message');
    const tag = optionalText(b.tag, 'tag');
    if (tag !== undefined && !TAG.test(tag)) throw new BrokerError('bad-request', 'tag must be 1 to 128 characters without spaces or |');
    const keys = Array.isArray(b.keys) ? b.keys : (optionalText(b.keys, 'keys')?.split(/\s+/).filter(Boolean) ?? []);
    if (keys.length > MAX_KEYS || !keys.every((k): k is string => typeof k === 'string' && KEY.test(k))) {
      throw new BrokerError('bad-request', `keys must be at most ${MAX_KEYS} keys of 1 to 128 characters without spaces`);
    }
    const properties = new Map<string, string>([[Prop.UNIQ_KEY, ids.next()]]);
    if (tag !== undefined) properties.set(Prop.TAGS, tag);
    if (keys.length > 0) properties.set(Prop.KEYS, keys.join(' '));
    const result = await storeAdminMessage(ctx, req.params.name, { body: Buffer.from(b.body, 'utf8'), flag: 0, properties, reconsumeTimes: 0 });
    ctx.log.info({ topic: result.topic, msgId: result.msgId, via: 'http' }, 'test message sent');
    reply.code(201);
    return { sendStatus: 'SEND_OK', ...result };
  });
}
