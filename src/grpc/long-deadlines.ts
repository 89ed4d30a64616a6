import { BaseServerInterceptingCall } from '@grpc/grpc-js/build/src/server-interceptors.js';

/** The longest delay a Node timer holds; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

type TimeoutHandler = (this: BaseServerInterceptingCall, header: string) => void;

let installed = false;

/**
 * grpc-js (1.14) turns a call's grpc-timeout into a 32-bit count of milliseconds, so a deadline past 24.8 days wraps
 * around and the call ends with DEADLINE_EXCEEDED as soon as it starts. RocketMQ's 5.x Java client opens its telemetry
 * stream with a 60-year deadline and cannot start against such a server. A deadline no timer can hold is as good as
 * none, so such calls get none; every shorter one is enforced as before.
 */
export function allowLongDeadlines(): boolean {
  if (installed) return true;
  const proto = BaseServerInterceptingCall.prototype as unknown as { handleTimeoutHeader?: TimeoutHandler };
  const original = proto.handleTimeoutHeader;
  // A grpc-js that renamed the method may also have fixed the overflow; the caller warns either way.
  if (typeof original !== 'function') return false;
  installed = true;
  proto.handleTimeoutHeader = function (this: BaseServerInterceptingCall, header: string): void {
    const match = /^(\d{1,8})\s*([HMSmun])$/.exec(String(header).trim());
    if (match && Number(match[1]) * UNIT_MS[match[2]!]! > MAX_TIMER_MS) return;
    original.call(this, header);
  };
  return true;
}
