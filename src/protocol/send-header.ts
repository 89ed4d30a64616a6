import type { RemotingCommand } from '../remoting/remoting-command.js';
import { HeaderFields } from './header-fields.js';
import { RequestCode } from './request-code.js';

/** SEND_MESSAGE_V2 names its header fields a…n to save bytes; these are their long names. */
const V2_FIELDS: Record<string, string> = {
  a: 'producerGroup', b: 'topic', c: 'defaultTopic', d: 'defaultTopicQueueNums', e: 'queueId', f: 'sysFlag',
  g: 'bornTimestamp', h: 'flag', i: 'properties', j: 'reconsumeTimes', k: 'unitMode', l: 'maxReconsumeTimes', m: 'batch', n: 'brokerName',
};

/** The header of a send (SEND_MESSAGE*, SEND_BATCH_MESSAGE, SEND_REPLY_MESSAGE*) under its long field names. */
export function sendHeader(req: RemotingCommand): HeaderFields {
  const short = req.code === RequestCode.SEND_MESSAGE_V2 || req.code === RequestCode.SEND_REPLY_MESSAGE_V2
    || (req.code === RequestCode.SEND_BATCH_MESSAGE && 'b' in req.extFields);
  if (!short) return new HeaderFields(req.extFields);
  const long: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.extFields)) long[V2_FIELDS[k] ?? k] = v;
  return new HeaderFields(long);
}
