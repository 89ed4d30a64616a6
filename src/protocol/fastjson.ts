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
