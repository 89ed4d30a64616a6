import { RemotingRequestError } from '../remoting/errors.js';
import { ResponseCode } from './request-code.js';

/** Typed reads of a request's extFields; a missing or malformed required field is answered with INVALID_PARAMETER. */
export class HeaderFields {
  constructor(private readonly fields: Record<string, string>) {}

  str(name: string): string {
    const v = this.fields[name];
    if (v === undefined || v === '') throw new RemotingRequestError(ResponseCode.INVALID_PARAMETER, `the header field ${name} is required`);
    return v;
  }

  optStr(name: string): string | undefined {
    const v = this.fields[name];
    return v === undefined || v === '' ? undefined : v;
  }

  int(name: string): number {
    const v = this.optInt(name);
    if (v === undefined) throw new RemotingRequestError(ResponseCode.INVALID_PARAMETER, `the header field ${name} is required`);
    return v;
  }

  /**
   * A required 64-bit field as Java sends a long, such as a commit log offset (a locator here), read
   * as signed so every value a client can send round-trips.
   */
  long(name: string): bigint {
    const v = this.integerText(name);
    if (v === undefined) throw new RemotingRequestError(ResponseCode.INVALID_PARAMETER, `the header field ${name} is required`);
    return BigInt.asIntN(64, BigInt(v));
  }

  /** An integer field clamped to JavaScript's safe range: clients send Long.MAX_VALUE for "no upper bound". */
  optClampedInt(name: string): number | undefined {
    const v = this.integerText(name);
    if (v === undefined) return undefined;
    const n = BigInt(v);
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    return Number(n > max ? max : n < -max ? -max : n);
  }

  optInt(name: string): number | undefined {
    const v = this.integerText(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new RemotingRequestError(ResponseCode.INVALID_PARAMETER, `the header field ${name} is out of range`);
    return n;
  }

  optBool(name: string): boolean | undefined {
    const v = this.fields[name];
    return v === undefined || v === '' ? undefined : v === 'true';
  }

  /** The field's digits, checked to be an integer; undefined when absent. */
  private integerText(name: string): string | undefined {
    const v = this.fields[name];
    if (v === undefined || v === '') return undefined;
    if (!/^-?\d+$/.test(v)) throw new RemotingRequestError(ResponseCode.INVALID_PARAMETER, `the header field ${name} must be an integer, got ${JSON.stringify(v)}`);
    return v;
  }
}
