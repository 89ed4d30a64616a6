/**
 * Apache RocketMQ encodes bodies with fastjson, which writes a map keyed by objects (a `Map<MessageQueue, …>`)
 * with the key objects themselves as JSON keys: `{{"brokerName":"b","queueId":0,"topic":"t"}:5}`. That is not
 * JSON, so bodies holding such maps are written by this serializer instead of JSON.stringify.
 */
export class ObjectKeyMap {
  constructor(readonly entries: ReadonlyArray<readonly [key: object, value: unknown]>) {}
}

/** Serializes `value` as fastjson would; ObjectKeyMaps become object-keyed maps, undefined fields are left out. */
export function toFastjson(value: unknown): string {
  if (value instanceof ObjectKeyMap) return `{${value.entries.map(([k, v]) => `${toFastjson(k)}:${toFastjson(v)}`).join(',')}}`;
  if (value instanceof Map) return toFastjson(Object.fromEntries(value));
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : toFastjson(v))).join(',')}]`;
  if (typeof value === 'bigint') return value.toString();
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${toFastjson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const fastjsonBody = (value: unknown): Buffer => Buffer.from(toFastjson(value), 'utf8');

const SCALAR = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/**
 * Reads fastjson's output back, as clients send it in answers the gateway passes on: a map keyed by objects
 * becomes an ObjectKeyMap, everything else the plain JSON value; integers beyond 2^53 stay exact as bigints.
 */
export function parseFastjson(text: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at character ${i} of a fastjson body`);
  };
  const skipSpace = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const string = (): string => {
    const start = i++;
    while (text[i] !== '"') {
      if (i >= text.length) fail('unterminated string');
      i += text[i] === '\\' ? 2 : 1;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const scalar = (): unknown => {
    SCALAR.lastIndex = i;
    const m = SCALAR.exec(text);
    if (!m) return fail('unexpected character');
    i += m[0].length;
    if (m[0] === 'true' || m[0] === 'false') return m[0] === 'true';
    if (m[0] === 'null') return null;
    const n = Number(m[0]);
    return /^-?\d+$/.test(m[0]) && !Number.isSafeInteger(n) ? BigInt(m[0]) : n;
  };
  const list = (): unknown[] => {
    i++;
    const items: unknown[] = [];
    skipSpace();
    if (text[i] === ']') {
      i++;
      return items;
    }
    for (;;) {
      items.push(value());
      skipSpace();
      if (text[i++] === ']') return items;
      if (text[i - 1] !== ',') fail('expected , or ]');
    }
  };
  const object = (): unknown => {
    i++;
    const entries: Array<[unknown, unknown]> = [];
    skipSpace();
    if (text[i] === '}') {
      i++;
      return {};
    }
    for (;;) {
      skipSpace();
      const key = value();
      skipSpace();
      if (text[i++] !== ':') fail('expected :');
      entries.push([key, value()]);
      skipSpace();
      if (text[i++] === '}') break;
      if (text[i - 1] !== ',') fail('expected , or }');
    }
    return entries.every(([k]) => typeof k === 'string') ? Object.fromEntries(entries) : new ObjectKeyMap(entries as Array<[object, unknown]>);
  };
  function value(): unknown {
    skipSpace();
    const c = text[i];
    return c === '{' ? object() : c === '[' ? list() : c === '"' ? string() : scalar();
  }
  const result = value();
  skipSpace();
  if (i < text.length) fail('trailing text');
  return result;
}
