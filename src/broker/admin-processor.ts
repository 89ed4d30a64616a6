import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { RemotingRequestError } from '../remoting/errors.js';
import { HeaderFields } from '../protocol/header-fields.js';
import { encodeStoredMessage } from '../protocol/message-codec.js';
import { formatProperties } from '../protocol/message-properties.js';
import { ResponseCode } from '../protocol/request-code.js';
import { Perm } from '../protocol/bodies.js';
import { validateTopicName, type BrokerContext } from './broker-context.js';

const MAX_QUEUES = 1024;
const MAX_QUERY_RESULTS = 64;

/** UPDATE_AND_CREATE_TOPIC, VIEW_MESSAGE_BY_ID and QUERY_MESSAGE. */
export class AdminProcessor {
  constructor(private readonly ctx: BrokerContext) {}

  readonly updateAndCreateTopic = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = new HeaderFields(req.extFields);
    const name = h.str('topic');
    validateTopicName(name);
    const existing = this.ctx.store.getTopic(name);
    const read = h.optInt('readQueueNums') ?? existing?.readQueueNums ?? this.ctx.settings.defaultQueues;
    const write = h.optInt('writeQueueNums') ?? existing?.writeQueueNums ?? this.ctx.settings.defaultQueues;
    for (const [field, n] of [['readQueueNums', read], ['writeQueueNums', write]] as const) {
      if (n < 1 || n > MAX_QUEUES) throw new RemotingRequestError(ResponseCode.INVALID_PARAMETER, `${field} must be between 1 and ${MAX_QUEUES}, got ${n}`);
    }
    const topic = await this.ctx.store.putTopic({
      name,
      readQueueNums: read,
      writeQueueNums: write,
      perm: h.optInt('perm') ?? existing?.perm ?? (Perm.READ | Perm.WRITE),
      topicSysFlag: h.optInt('topicSysFlag') ?? existing?.topicSysFlag ?? 0,
      order: h.optBool('order') ?? existing?.order ?? false,
    });
    this.ctx.log.info({ topic: name, readQueueNums: topic.readQueueNums, writeQueueNums: topic.writeQueueNums, perm: topic.perm }, existing ? 'topic updated' : 'topic created');
    return createResponse(req, ResponseCode.SUCCESS);
  };

  readonly viewMessageById = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const locator = new HeaderFields(req.extFields).long('offset');
    const msg = await this.ctx.store.lookup(locator);
    if (!msg) return createResponse(req, ResponseCode.SYSTEM_ERROR, `no message at offset ${locator}`);
    const body = encodeStoredMessage({ ...msg, properties: formatProperties(msg.properties) }, this.ctx.settings.advertisedAddress);
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, body);
  };

  /** QUERY_MESSAGE: by KEYS, or by message id (UNIQ_KEY) when `_UNIQUE_KEY_QUERY` is set, within a time range. */
  readonly queryMessage = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = new HeaderFields(req.extFields);
    const found = await this.ctx.keyIndex.query({
      topic: h.str('topic'),
      key: h.str('key'),
      unique: req.extFields._UNIQUE_KEY_QUERY === 'true',
      begin: h.optClampedInt('beginTimestamp') ?? 0,
      end: h.optClampedInt('endTimestamp') ?? Number.MAX_SAFE_INTEGER,
      max: Math.max(1, Math.min(h.optInt('maxNum') ?? 32, MAX_QUERY_RESULTS)),
    }, (locator) => this.ctx.store.lookup(locator));
    if (found.length === 0) return createResponse(req, ResponseCode.QUERY_NOT_FOUND, 'can not find message, maybe time range not correct');
    const body = Buffer.concat(found.map((m) => encodeStoredMessage({ ...m, properties: formatProperties(m.properties) }, this.ctx.settings.advertisedAddress)));
    return createResponse(req, ResponseCode.SUCCESS, undefined, { indexLastUpdateTimestamp: String(Date.now()), indexLastUpdatePhyoffset: '0' }, body);
  };
}
