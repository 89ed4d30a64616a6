import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { RemotingRequestError } from '../remoting/errors.js';
import { HeaderFields } from '../protocol/header-fields.js';
import { encodeStoredMessage } from '../protocol/message-codec.js';
import { formatProperties } from '../protocol/message-properties.js';
import { ResponseCode } from '../protocol/request-code.js';
import { Perm } from '../protocol/bodies.js';
import { validateTopicName, type BrokerContext } from './broker-context.js';

const MAX_QUEUES = 1024;

/** UPDATE_AND_CREATE_TOPIC and VIEW_MESSAGE_BY_ID. */
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
    const raw = req.extFields.offset;
    if (raw === undefined || !/^-?\d+$/.test(raw)) throw new RemotingRequestError(ResponseCode.INVALID_PARAMETER, 'the header field offset must be an integer');
    const msg = await this.ctx.store.lookup(BigInt.asIntN(64, BigInt(raw)));
    if (!msg) return createResponse(req, ResponseCode.SYSTEM_ERROR, `no message at offset ${raw}`);
    const body = encodeStoredMessage({ ...msg, properties: formatProperties(msg.properties) }, this.ctx.settings.advertisedAddress);
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, body);
  };
}
