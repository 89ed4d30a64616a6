/** Property names RocketMQ clients and brokers agree on (Apache RocketMQ's MessageConst). */
export const Prop = {
  KEYS: 'KEYS',
  TAGS: 'TAGS',
  WAIT_STORE_MSG_OK: 'WAIT',
  DELAY_TIME_LEVEL: 'DELAY',
  TIMER_DELIVER_MS: 'TIMER_DELIVER_MS',
  TIMER_DELAY_SEC: 'TIMER_DELAY_SEC',
  TIMER_DELAY_MS: 'TIMER_DELAY_MS',
  /** when a timed message is due (epoch ms), set by the broker; Apache RocketMQ 5's timer leaves it on the delivered message */
  TIMER_OUT_MS: 'TIMER_OUT_MS',
  /** when a timed message entered the timer, and when it left it for its topic (Apache RocketMQ 5) */
  TIMER_ENQUEUE_MS: 'TIMER_ENQUEUE_MS',
  TIMER_DEQUEUE_MS: 'TIMER_DEQUEUE_MS',
  RETRY_TOPIC: 'RETRY_TOPIC',
  ORIGIN_MESSAGE_ID: 'ORIGIN_MESSAGE_ID',
  REAL_TOPIC: 'REAL_TOPIC',
  REAL_QUEUE_ID: 'REAL_QID',
  TRANSACTION_PREPARED: 'TRAN_MSG',
  PRODUCER_GROUP: 'PGROUP',
  TRANSACTION_CHECK_TIMES: 'TRANSACTION_CHECK_TIMES',
  MIN_OFFSET: 'MIN_OFFSET',
  MAX_OFFSET: 'MAX_OFFSET',
  UNIQ_KEY: 'UNIQ_KEY',
  RECONSUME_TIME: 'RECONSUME_TIME',
  MAX_RECONSUME_TIMES: 'MAX_RECONSUME_TIMES',
  MSG_REGION: 'MSG_REGION',
  TRACE_SWITCH: 'TRACE_ON',
  CLUSTER: 'CLUSTER',
  CORRELATION_ID: 'CORRELATION_ID',
  REPLY_TO_CLIENT: 'REPLY_TO_CLIENT',
} as const;

const NAME_VALUE = '\u0001';
const PROPERTY = '\u0002';

/** Parses RocketMQ's property string: `name\u0001value\u0002` repeated. Malformed pairs are skipped, as the Java client does. */
export function parseProperties(s: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  if (!s) return map;
  let i = 0;
  // The first separator at or after i, kept across pairs: searched afresh for each pair, a string of pairs
  // without one would be scanned to its end for every pair, quadratic in a header of megabytes.
  let sep = -1;
  while (i < s.length) {
    let end = s.indexOf(PROPERTY, i);
    if (end < 0) end = s.length;
    if (sep < i) sep = s.indexOf(NAME_VALUE, i);
    if (sep < 0) break;
    if (sep > i && sep < end) map.set(s.slice(i, sep), s.slice(sep + 1, end));
    i = end + 1;
  }
  return map;
}

export function formatProperties(props: ReadonlyMap<string, string>): string {
  let s = '';
  for (const [k, v] of props) s += k + NAME_VALUE + v + PROPERTY;
  return s;
}

/** Java's String.hashCode over UTF-16 code units; RocketMQ's tags code. */
export function tagsHashCode(tags: string): number {
  let h = 0;
  for (let i = 0; i < tags.length; i++) h = (Math.imul(h, 31) + tags.charCodeAt(i)) | 0;
  return h;
}
