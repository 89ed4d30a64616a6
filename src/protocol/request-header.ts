import { BrokerError } from '../errors/broker-error.js';

/** Java's int bounds: a header field Apache declares as int/Integer cannot hold more. */
const INT32 = { min: -0x8000_0000, max: 0x7fff_ffff } as const;

const SAFE = { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER } as const;

type FieldType = 'string' | 'int' | 'clampedLong' | 'long' | 'bool';

interface Range {
  min?: number;
  max?: number;
}

/** One field of a request header: its wire type, whether the request is refused without it, and its range. */
export interface HeaderField<T, Required extends boolean> {
  readonly type: FieldType;
  readonly required: Required;
  readonly min?: number;
  readonly max?: number;
  /** never set: carries the decoded type for `Header<F>` */
  readonly decoded?: T;
}

export const str = (): HeaderField<string, true> => ({ type: 'string', required: true });
export const optStr = (): HeaderField<string, false> => ({ type: 'string', required: false });
/** A Java int field; `range` narrows it further. */
export const int = (range: Range = {}): HeaderField<number, true> => ({ type: 'int', required: true, ...INT32, ...range });
export const optInt = (range: Range = {}): HeaderField<number, false> => ({ type: 'int', required: false, ...INT32, ...range });
/** A Java long used as a number (an offset, a timestamp): refused beyond JavaScript's safe integers. */
export const longNumber = (range: Range = {}): HeaderField<number, true> => ({ type: 'int', required: true, ...SAFE, ...range });
export const optLongNumber = (range: Range = {}): HeaderField<number, false> => ({ type: 'int', required: false, ...SAFE, ...range });
/** A Java long read as signed 64 bits so every value a client can send round-trips (a locator, say). */
export const long = (): HeaderField<bigint, true> => ({ type: 'long', required: true });
/** A Java long used as a count or a time: clamped to JavaScript's safe range, as clients send Long.MAX_VALUE for "no bound". */
export const optTime = (): HeaderField<number, false> => ({ type: 'clampedLong', required: false });
export const optBool = (): HeaderField<boolean, false> => ({ type: 'bool', required: false });

type Fields = Record<string, HeaderField<unknown, boolean>>;

/** The typed object a declaration decodes to: required fields present, optional ones possibly undefined. */
export type Header<F extends Fields> = {
  readonly [K in keyof F]: F[K] extends HeaderField<infer T, infer R> ? (R extends true ? T : T | undefined) : never;
};

/** A request's header declared once: its fields, and which of them name the topic and the group it touches. */
export interface HeaderDeclaration<F extends Fields = Fields> {
  readonly fields: F;
  readonly topic?: keyof F & string;
  readonly group?: keyof F & string;
  /** short wire names (SEND_MESSAGE_V2's a…n) of the long names declared, used when a request carries any of them */
  readonly shortNames?: Readonly<Record<string, keyof F & string>>;
}

/** Any declaration, as tables of many hold them. */
export interface AnyHeaderDeclaration {
  readonly fields: Fields;
  readonly topic?: string;
  readonly group?: string;
  readonly shortNames?: Readonly<Record<string, string>>;
}

export function declareHeader<F extends Fields>(fields: F, touches: Omit<HeaderDeclaration<F>, 'fields'> = {}): HeaderDeclaration<F> {
  return { fields, ...touches };
}

const refuse = (message: string): BrokerError => new BrokerError('bad-request', message);

/**
 * Reads `extFields` as `declaration` says, refusing a missing required field or a malformed or out-of-range
 * value with a bad-request error (INVALID_PARAMETER on the wire) rather than letting it fail deeper.
 */
export function decodeHeader<F extends Fields>(declaration: HeaderDeclaration<F>, extFields: Record<string, string>): Header<F> {
  const short = declaration.shortNames;
  const wire = short && Object.keys(short).some((k) => k in extFields) ? longNamed(extFields, short) : extFields;
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(declaration.fields)) {
    const text = wire[name];
    if (text === undefined || text === '') {
      if (f.required) throw refuse(`the header field ${name} is required`);
      continue;
    }
    out[name] = decodeField(name, f, text);
  }
  return out as Header<F>;
}

function longNamed(extFields: Record<string, string>, shortNames: Readonly<Record<string, string>>): Record<string, string> {
  const long: Record<string, string> = {};
  for (const [k, v] of Object.entries(extFields)) long[shortNames[k] ?? k] = v;
  return long;
}

function decodeField(name: string, f: HeaderField<unknown, boolean>, text: string): unknown {
  if (f.type === 'string') return text;
  if (f.type === 'bool') return text === 'true';
  if (!/^-?\d+$/.test(text)) throw refuse(`the header field ${name} must be an integer, got ${JSON.stringify(text.slice(0, 64))}`);
  if (f.type === 'long') return BigInt.asIntN(64, BigInt(text));
  if (f.type === 'clampedLong') {
    const n = BigInt(text);
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    return Number(n > max ? max : n < -max ? -max : n);
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n) || (f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) {
    throw refuse(`the header field ${name} is out of range (${f.min} to ${f.max}), got ${text.slice(0, 32)}`);
  }
  return n;
}
