/**
 * Apache RocketMQ's message trace data (client/trace/TraceDataEncoder of the 4.x and 5.x Java clients): a trace
 * message's body holds records ended by FIELD_SPLITOR (char 2), each record's fields split by CONTENT_SPLITOR
 * (char 1), the first field naming its type. The writer prints a missing string as "null".
 */
const RECORD_END = '\u0002';
const FIELD_SEPARATOR = '\u0001';

/** MessageType by ordinal, as the Pub and EndTransaction records carry it. */
const MESSAGE_TYPES = ['Normal', 'Trans', 'TransCommit', 'Delay', 'Order'] as const;
/** ConsumeReturnType by ordinal: a SubAfter's context code, how the listener ended. */
const RETURN_TYPES = ['SUCCESS', 'TIME_OUT', 'EXCEPTION', 'RETURNNULL', 'FAILED'] as const;

export interface PubRecord {
  type: 'Pub';
  timestamp: number;
  regionId: string;
  group: string;
  topic: string;
  msgId: string;
  tags: string | null;
  keys: string | null;
  storeHost: string;
  bodyLength: number;
  costMs: number;
  msgType: string;
  offsetMsgId: string | null;
  success: boolean;
}

export interface SubBeforeRecord {
  type: 'SubBefore';
  timestamp: number;
  regionId: string;
  group: string;
  requestId: string;
  msgId: string;
  retryTimes: number;
  keys: string | null;
}

export interface SubAfterRecord {
  type: 'SubAfter';
  requestId: string;
  msgId: string;
  costMs: number;
  success: boolean;
  keys: string | null;
  /** how the listener ended (ConsumeReturnType), from clients that write it */
  returnType: string | null;
  /** written by 4.9.3 and later clients (not to the cloud access channel) */
  timestamp: number | null;
  group: string | null;
}

export interface EndTransactionRecord {
  type: 'EndTransaction';
  timestamp: number;
  regionId: string;
  group: string;
  topic: string;
  msgId: string;
  tags: string | null;
  keys: string | null;
  storeHost: string;
  msgType: string;
  transactionId: string | null;
  transactionState: string;
  fromTransactionCheck: boolean;
}

export interface RecallRecord {
  type: 'Recall';
  timestamp: number;
  regionId: string;
  group: string;
  topic: string;
  msgId: string;
  success: boolean;
}

export type TraceRecord = PubRecord | SubBeforeRecord | SubAfterRecord | EndTransactionRecord | RecallRecord;

const text = (v: string | undefined): string | null => (v === undefined || v === 'null' || v === '' ? null : v);

function int(v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || v === '' || !Number.isFinite(n)) throw new RangeError(`not a number: ${JSON.stringify(v)}`);
  return n;
}

const bool = (v: string | undefined): boolean => v === 'true';

const parsers: Record<string, (f: string[]) => TraceRecord> = {
  Pub: (f) => ({
    type: 'Pub', timestamp: int(f[1]), regionId: f[2] ?? '', group: f[3] ?? '', topic: f[4] ?? '', msgId: f[5] ?? '',
    tags: text(f[6]), keys: text(f[7]), storeHost: f[8] ?? '', bodyLength: int(f[9]), costMs: int(f[10]),
    msgType: MESSAGE_TYPES[int(f[11])] ?? f[11]!,
    // 13 fields: no offsetMsgId (old clients); 14 and more: offsetMsgId, then success
    offsetMsgId: f.length >= 14 ? text(f[12]) : null,
    success: bool(f.length >= 14 ? f[13] : f[12]),
  }),
  SubBefore: (f) => ({
    type: 'SubBefore', timestamp: int(f[1]), regionId: f[2] ?? '', group: f[3] ?? '', requestId: f[4] ?? '',
    msgId: f[5] ?? '', retryTimes: int(f[6]), keys: text(f[7]),
  }),
  SubAfter: (f) => ({
    type: 'SubAfter', requestId: f[1] ?? '', msgId: f[2] ?? '', costMs: int(f[3]), success: bool(f[4]), keys: text(f[5]),
    returnType: f.length >= 7 ? RETURN_TYPES[int(f[6])] ?? f[6]! : null,
    timestamp: f.length >= 9 ? int(f[7]) : null,
    group: f.length >= 9 ? text(f[8]) : null,
  }),
  EndTransaction: (f) => ({
    type: 'EndTransaction', timestamp: int(f[1]), regionId: f[2] ?? '', group: f[3] ?? '', topic: f[4] ?? '', msgId: f[5] ?? '',
    tags: text(f[6]), keys: text(f[7]), storeHost: f[8] ?? '', msgType: MESSAGE_TYPES[int(f[9])] ?? f[9]!,
    transactionId: text(f[10]), transactionState: f[11] ?? '', fromTransactionCheck: bool(f[12]),
  }),
  Recall: (f) => ({
    type: 'Recall', timestamp: int(f[1]), regionId: f[2] ?? '', group: f[3] ?? '', topic: f[4] ?? '', msgId: f[5] ?? '', success: bool(f[6]),
  }),
};

/** The least fields each type has, as the oldest writers wrote it. */
const MIN_FIELDS: Record<string, number> = { Pub: 13, SubBefore: 8, SubAfter: 6, EndTransaction: 13, Recall: 7 };

/**
 * The records of one trace message's body. A record of a type this reader does not know, or too short or
 * malformed to read, is counted in `skipped` rather than failing the rest.
 */
export function parseTraceData(body: string): { records: TraceRecord[]; skipped: number } {
  const records: TraceRecord[] = [];
  let skipped = 0;
  for (const raw of body.split(RECORD_END)) {
    if (raw.trim() === '') continue;
    const fields = raw.split(FIELD_SEPARATOR);
    const parse = parsers[fields[0]!];
    if (!parse || fields.length < MIN_FIELDS[fields[0]!]!) {
      skipped++;
      continue;
    }
    try {
      records.push(parse(fields));
    } catch {
      skipped++;
    }
  }
  return { records, skipped };
}
