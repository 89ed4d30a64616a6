import type { AdminService, FoundMessage } from '../../broker/admin-service.js';
import type { BrokerContext } from '../../broker/broker-context.js';
import { parseOffsetMsgId } from '../../protocol/message-codec.js';
import { Prop } from '../../protocol/message-properties.js';
import { parseTraceData, type TraceRecord } from './trace-records.js';

/** Where Apache's clients write traces unless told another topic (TopicValidator.RMQ_SYS_TRACE_TOPIC). */
export const DEFAULT_TRACE_TOPIC = 'RMQ_SYS_TRACE_TOPIC';
/** Trace messages read for one question: a key on thousands of messages is answered with the first of them. */
export const MAX_TRACE_MESSAGES = 256;

/** A trace record with where its trace message came from: the client's address and when the gateway stored it. */
type Located<R extends TraceRecord = TraceRecord> = R & { clientHost: string; traceStoredAt: number };

export interface ConsumeAttempt {
  requestId: string;
  clientHost: string;
  retryTimes: number | null;
  /** the listener was called (SubBefore) */
  beginTimestamp: number | null;
  /** the listener returned (SubAfter), where the client writes it */
  endTimestamp: number | null;
  costMs: number | null;
  status: 'success' | 'failed' | 'unknown';
  returnType: string | null;
}

export interface MessageTimeline {
  msgId: string;
  topic: string | null;
  tags: string | null;
  keys: string | null;
  published: Array<{ group: string; clientHost: string; timestamp: number; costMs: number; success: boolean; msgType: string; storeHost: string; offsetMsgId: string | null; bodyLength: number }>;
  transactions: Array<{ group: string; clientHost: string; timestamp: number; transactionState: string; transactionId: string | null; fromTransactionCheck: boolean }>;
  consumed: Array<{ group: string; attempts: ConsumeAttempt[] }>;
}

export interface TraceAnswer {
  traceTopic: string;
  messages: MessageTimeline[];
  /** records this reader could not read (an unknown type or a malformed one) */
  skippedRecords: number;
  /** MAX_TRACE_MESSAGES trace messages were read and more may hold records of the question */
  truncated: boolean;
}

export type TraceQuery = { msgId: string; key?: undefined; traceTopic: string } | { key: string; msgId?: undefined; traceTopic: string };

/**
 * The trace of messages, as rocketmq-dashboard's trace view assembles it: the trace messages whose keys hold the
 * message id (or key) asked for, found through the key index, are read, and their records are gathered per message
 * into who published it (Pub), each consumer group's attempts (SubBefore and SubAfter, paired by request id) and
 * transaction ends. Trace messages hold the traced message's client msgId as a key; an offsetMsgId is first turned
 * into that id through the message it locates.
 */
export async function findTrace(q: TraceQuery, ctx: BrokerContext, admin: AdminService): Promise<TraceAnswer> {
  ctx.existingTopic(q.traceTopic);
  const wanted = new Set<string>();
  let keys: string[];
  if (q.msgId !== undefined) {
    wanted.add(q.msgId);
    const located = parseOffsetMsgId(q.msgId);
    const stored = located && (await ctx.store.lookup(located.locator));
    const clientId = stored?.properties.get(Prop.UNIQ_KEY);
    if (clientId) wanted.add(clientId);
    keys = [...wanted];
  } else {
    keys = [q.key];
  }
  const found = new Map<bigint, FoundMessage>();
  let truncated = false;
  for (const key of keys) {
    const messages = await admin.findMessages({ by: 'key', topic: q.traceTopic, key, max: MAX_TRACE_MESSAGES });
    truncated ||= messages.length >= MAX_TRACE_MESSAGES;
    for (const f of messages) found.set(f.message.locator, f);
  }
  let skippedRecords = 0;
  const records: Located[] = [];
  for (const { message } of found.values()) {
    const parsed = parseTraceData(message.body.toString('utf8'));
    skippedRecords += parsed.skipped;
    for (const r of parsed.records) records.push({ ...r, clientHost: message.bornHost, traceStoredAt: message.storeTimestamp });
  }
  if (q.key !== undefined) {
    for (const r of records) if ('keys' in r && r.keys?.split(' ').includes(q.key)) wanted.add(r.msgId);
  }
  const matching = records.filter((r) => wanted.has(r.msgId) || (r.type === 'Pub' && r.offsetMsgId !== null && wanted.has(r.offsetMsgId)));
  const byMsgId = new Map<string, Located[]>();
  for (const r of matching) {
    const list = byMsgId.get(r.msgId) ?? [];
    list.push(r);
    byMsgId.set(r.msgId, list);
  }
  return {
    traceTopic: q.traceTopic,
    messages: [...byMsgId].map(([msgId, list]) => timeline(msgId, list)),
    skippedRecords,
    truncated,
  };
}

function timeline(msgId: string, records: Located[]): MessageTimeline {
  const pubs = records.filter((r): r is Located<Extract<TraceRecord, { type: 'Pub' }>> => r.type === 'Pub').sort((a, b) => a.timestamp - b.timestamp);
  const ends = records.filter((r): r is Located<Extract<TraceRecord, { type: 'EndTransaction' }>> => r.type === 'EndTransaction').sort((a, b) => a.timestamp - b.timestamp);
  const described = pubs[0] ?? ends[0];
  const keyed = records.find((r) => 'keys' in r && r.keys !== null) as { keys: string } | undefined;
  return {
    msgId,
    topic: described?.topic ?? null,
    tags: described?.tags ?? null,
    keys: keyed?.keys ?? null,
    published: pubs.map((p) => ({
      group: p.group, clientHost: p.clientHost, timestamp: p.timestamp, costMs: p.costMs, success: p.success,
      msgType: p.msgType, storeHost: p.storeHost, offsetMsgId: p.offsetMsgId, bodyLength: p.bodyLength,
    })),
    transactions: ends.map((e) => ({
      group: e.group, clientHost: e.clientHost, timestamp: e.timestamp, transactionState: e.transactionState,
      transactionId: e.transactionId, fromTransactionCheck: e.fromTransactionCheck,
    })),
    consumed: consumeAttempts(records),
  };
}

/** Each group's attempts in time order: a SubBefore and the SubAfter of its request id, or either alone. */
function consumeAttempts(records: Located[]): MessageTimeline['consumed'] {
  const attempts = new Map<string, { group: string; attempt: ConsumeAttempt }>();
  const attemptOf = (requestId: string, clientHost: string, group: string | null) => {
    let e = attempts.get(requestId);
    if (!e) {
      e = { group: group ?? '', attempt: { requestId, clientHost, retryTimes: null, beginTimestamp: null, endTimestamp: null, costMs: null, status: 'unknown', returnType: null } };
      attempts.set(requestId, e);
    }
    if (group && !e.group) e.group = group;
    return e.attempt;
  };
  for (const r of records) {
    if (r.type === 'SubBefore') {
      const a = attemptOf(r.requestId, r.clientHost, r.group);
      a.retryTimes = r.retryTimes;
      a.beginTimestamp = r.timestamp;
    } else if (r.type === 'SubAfter') {
      const a = attemptOf(r.requestId, r.clientHost, r.group);
      a.costMs = r.costMs;
      a.status = r.success ? 'success' : 'failed';
      a.returnType = r.returnType;
      a.endTimestamp = r.timestamp;
    }
  }
  const groups = new Map<string, ConsumeAttempt[]>();
  for (const { group, attempt } of attempts.values()) groups.set(group, [...(groups.get(group) ?? []), attempt]);
  const at = (a: ConsumeAttempt) => a.beginTimestamp ?? a.endTimestamp ?? 0;
  return [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([group, list]) => ({ group, attempts: list.sort((a, b) => at(a) - at(b)) }));
}
