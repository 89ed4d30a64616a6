import type { ConnectionOptions } from 'node:tls';
import { connectRemoting } from '../remoting/remoting-client.js';
import type { RemotingConnection } from '../remoting/remoting-connection.js';
import { isOneway, nextOpaque, type RemotingCommand } from '../remoting/remoting-command.js';

/** The gateways a request was passed through, comma-separated, so that none gets it back. */
const FORWARDED_FIELD = 'ropForwardedBy';
/** Longer than the longest pull hold (30 s), which a forwarded pull may wait out at the owner. */
const FORWARD_TIMEOUT_MS = 35_000;

/** The gateways that passed `req` on, first one first (empty when it came from a client). */
export const forwardedVia = (req: RemotingCommand): string[] => req.extFields?.[FORWARDED_FIELD]?.split(',') ?? [];

/**
 * Passes requests for a broker slot that moved to the gateway that owns it now, over one connection per gateway,
 * and hands back its answer: a client whose routes are older than the move keeps working until it refreshes them.
 */
export class RequestForwarder {
  private readonly connections = new Map<string, Promise<RemotingConnection>>();
  private closed = false;

  /** `tls`: how to reach gateways whose listeners speak TLS only; plaintext without */
  constructor(private readonly self: string, private readonly maxFrameSize: number, private readonly tls?: ConnectionOptions) {}

  /** The owner's answer to `req`, or null for a oneway request; rejects when the owner cannot be reached. */
  async forward(req: RemotingCommand, owner: string): Promise<RemotingCommand | null> {
    const conn = await this.connection(owner);
    // Requests from many clients share this connection: each gets an opaque of its own there.
    const passed: RemotingCommand = { ...req, opaque: nextOpaque(), extFields: { ...req.extFields, [FORWARDED_FIELD]: [...forwardedVia(req), this.self].join(',') } };
    if (isOneway(req)) {
      conn.send(passed);
      return null;
    }
    const answer = await conn.invoke(passed, FORWARD_TIMEOUT_MS);
    return { ...answer, opaque: req.opaque };
  }

  close(): void {
    this.closed = true;
    for (const c of this.connections.values()) void c.then((conn) => conn.destroy(), () => undefined);
    this.connections.clear();
  }

  private connection(address: string): Promise<RemotingConnection> {
    if (this.closed) return Promise.reject(new Error('gateway stopping'));
    let opening = this.connections.get(address);
    if (!opening) {
      opening = connectRemoting(address, this.maxFrameSize, undefined, this.tls);
      this.connections.set(address, opening);
      const forget = (): void => {
        if (this.connections.get(address) === opening) this.connections.delete(address);
      };
      opening.then((conn) => conn.once('close', forget), forget);
    }
    return opening;
  }
}
