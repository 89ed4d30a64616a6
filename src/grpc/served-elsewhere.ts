import { BrokerError } from '../errors/broker-error.js';
import type { Endpoints } from './v2-types.js';
import { endpointsOf } from './route-answers.js';

/**
 * Where the broker a gateway's gRPC endpoint speaks for is served when that is another gateway of the cluster:
 * its host:port, '' while no gateway serves it, false or undefined when this gateway does.
 */
export type ServedElsewhere = () => string | undefined | false;

/** What a client may still ask of a gateway that does not serve the broker now: where to go instead. */
const ANSWERED_ANYWHERE = new Set(['QueryRoute', 'QueryAssignment', 'Heartbeat', 'NotifyClientTermination']);

/** Refuses `method` when only the broker's owner may answer it and that is not this gateway. */
export function requireServedHere(method: string, servedElsewhere: ServedElsewhere | undefined, brokerName: string): void {
  if (ANSWERED_ANYWHERE.has(method)) return;
  const elsewhere = servedElsewhere?.();
  if (elsewhere === undefined || elsewhere === false) return;
  throw new BrokerError('unavailable', `broker ${brokerName} is served by another gateway now${elsewhere ? ` (${elsewhere})` : ''}; query the route again`);
}

/** The owner's endpoints for routes, when another gateway owns the broker. */
export function ownerEndpoints(servedElsewhere: ServedElsewhere | undefined): Endpoints | undefined {
  const elsewhere = servedElsewhere?.();
  return elsewhere ? endpointsOf(elsewhere) : undefined;
}
