import type { Logger } from '../logger.js';
import type { RequestProcessor } from '../remoting/remoting-server.js';
import { createResponse } from '../remoting/remoting-command.js';
import { ResponseCode } from '../protocol/request-code.js';
import { forwardedVia, type RequestForwarder } from './request-forwarder.js';
import type { SlotOwner } from './cluster-view.js';

/**
 * How long a request for a slot that is changing hands waits for some gateway to serve it. Pulsar hands a slot
 * over in about a second; a client's send times out after 3 s by default, so the wait ends before that.
 */
const HANDOVER_WAIT_MS = 2500;
const RECHECK_MS = 50;
/** A request passes through at most this many gateways before one answers it. */
const MAX_HOPS = 2;

export interface SlotRequestGateOptions {
  brokerName: string;
  /** this gateway's identity, as owners are named */
  gatewayId: string;
  /** whether this gateway serves the slot now */
  served(): boolean;
  /** the slot's owner as the cluster last announced it */
  owner(): SlotOwner | undefined;
  forwarder?: RequestForwarder;
  log: Logger;
}

/**
 * Puts `processor` behind the slot's ownership: answered here while this gateway serves the slot, passed on to the
 * owner while another does, and held while the slot is between owners (its old owner let go, the new one has not
 * announced itself yet), so that a client whose routes predate a move sees a slower answer rather than an error.
 */
export function gateBySlotOwner(processor: RequestProcessor, o: SlotRequestGateOptions): RequestProcessor {
  return async (req, conn) => {
    const deadline = Date.now() + HANDOVER_WAIT_MS;
    let owner: SlotOwner | undefined;
    for (;;) {
      if (o.served()) return processor(req, conn);
      owner = o.owner();
      const via = forwardedVia(req);
      // Never back to a gateway the request came through: two gateways with different ideas of the owner must not
      // pass it around.
      if (owner && owner.gateway !== o.gatewayId && o.forwarder && via.length < MAX_HOPS && !via.includes(owner.gateway)) {
        try {
          return await o.forwarder.forward(req, owner.address);
        } catch (err) {
          o.log.debug({ err, broker: o.brokerName, owner: owner.address }, 'could not pass a request on to the slot\'s owner');
        }
      }
      if (Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, RECHECK_MS));
    }
    const where = owner && owner.gateway !== o.gatewayId ? `; it is served at ${owner.address}` : '';
    return createResponse(req, ResponseCode.SERVICE_NOT_AVAILABLE, `broker ${o.brokerName} is not served by this gateway now${where}`);
  };
}
