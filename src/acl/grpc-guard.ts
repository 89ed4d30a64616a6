import type { Metadata, ServerUnaryCall, ServerWritableStream, sendUnaryData, UntypedHandleCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { BrokerError } from '../errors/broker-error.js';
import { grpcStatus } from '../errors/boundaries.js';
import { checkAccess } from './access-checker.js';
import type { AclFile } from './acl-file.js';
import { grpcNeeds } from './grpc-resources.js';
import { AuthorizationHeaderError, parseAuthorization, type Authorization } from './signature.js';
import { clientHost } from './white-address.js';

const AUTHORIZATION = 'authorization';
const DATE_TIME = 'x-mq-date-time';
/** the only algorithm the 5.x clients sign with (their Signature.ALGORITHM) */
const ALGORITHM = 'MQv2-HMAC-SHA1';

/** How far a signed call's x-mq-date-time may be from the gateway's clock: beyond, a captured header is replayed. */
export const MAX_CLOCK_SKEW_MS = 15 * 60_000;

/**
 * The time a 5.x client signed at (its x-mq-date-time, `yyyyMMdd'T'HHmmss'Z'` in UTC), refused when it is missing,
 * malformed, or further than MAX_CLOCK_SKEW_MS from `now`.
 */
export function checkSignedAt(value: string | undefined, now = Date.now()): void {
  const m = value === undefined ? null : /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) throw new BrokerError('unauthorized', `${DATE_TIME} must be a UTC time as yyyyMMddTHHmmssZ, got ${JSON.stringify(value?.slice(0, 32) ?? null)}`);
  const at = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (Number.isNaN(at) || Math.abs(now - at) > MAX_CLOCK_SKEW_MS) {
    throw new BrokerError('unauthorized', `${DATE_TIME} ${value} is more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes from the gateway's clock`);
  }
}

/** The host of a grpc-js peer: "ipv4:1.2.3.4:5", "ipv6:[::1]:5" or "1.2.3.4:5". */
export function peerHost(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[(.*)\]:\d+$/.exec(bare);
  return clientHost(bracketed ? bracketed[1]! : bare.slice(0, bare.lastIndexOf(':')));
}

const first = (metadata: Metadata, key: string): string | undefined => {
  const v = metadata.get(key)[0];
  return v === undefined ? undefined : String(v);
};

function authorizationOf(metadata: Metadata): Authorization | undefined {
  const header = first(metadata, AUTHORIZATION);
  if (header === undefined) return undefined;
  try {
    const parsed = parseAuthorization(header);
    if (parsed.algorithm !== ALGORITHM) throw new BrokerError('unauthorized', `authorization algorithm ${parsed.algorithm} is not ${ALGORITHM}`);
    return parsed;
  } catch (err) {
    if (err instanceof AuthorizationHeaderError) throw new BrokerError('unauthorized', err.message);
    throw err;
  }
}

/** Checks one call against the rules in force; a refusal is a BrokerError ('unauthorized' or 'forbidden'). */
function check(file: AclFile, method: string, request: unknown, metadata: Metadata, peer: string): void {
  const auth = authorizationOf(metadata);
  checkAccess(file.rules, {
    host: peerHost(peer),
    accessKey: auth?.accessKey,
    signed: () => {
      const signedAt = first(metadata, DATE_TIME);
      checkSignedAt(signedAt);
      return { contents: [Buffer.from(signedAt ?? '', 'utf8')], signature: auth?.signature };
    },
    needs: grpcNeeds(method, (request ?? {}) as Parameters<typeof grpcNeeds>[1]),
  });
}

function refused(err: unknown): boolean {
  return err instanceof BrokerError && (err.kind === 'unauthorized' || err.kind === 'forbidden' || err.kind === 'bad-request');
}

/**
 * The MessagingService with every call checked first, as Apache's proxy checks them: a refusal is answered in
 * the response's status (UNAUTHORIZED for credentials, FORBIDDEN for rights), as other errors are. The
 * Telemetry stream is checked when it opens (credentials only: what it carries is checked on the calls it
 * leads to).
 */
export function guardMessaging(impl: UntypedServiceImplementation, file: AclFile): UntypedServiceImplementation {
  const guarded: UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(impl)) {
    guarded[method] = ((call: ServerUnaryCall<unknown, unknown> & ServerWritableStream<unknown, unknown>, callback?: sendUnaryData<unknown>) => {
      try {
        check(file, method, method === 'Telemetry' ? undefined : call.request, call.metadata, call.getPeer());
      } catch (err) {
        if (!refused(err)) throw err;
        // A unary call answers through its callback; a stream (receives, telemetry) carries the status as its one item.
        const status = grpcStatus(err);
        if (callback) callback(null, { status });
        else {
          call.write({ status });
          call.end();
        }
        return;
      }
      (handler as (...args: unknown[]) => void)(call, callback);
    }) as UntypedHandleCall;
  }
  return guarded;
}
