import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';

/** The client ports the gate counts together. */
export type ClientProtocol = 'remoting' | 'grpc';
/**
 * Why the gateway closed a remoting connection on its own: nothing sent for too long, or a frame never finished.
 * (grpc-js closes idle gRPC connections itself, unseen here.)
 */
export type ExpiryReason = 'idle' | 'frame_timeout';

/** Refusals within this of the line that told of them leave no line of their own, only a count in the next. */
const REFUSAL_LOG_WINDOW_MS = 10_000;
/**
 * Descriptors kept out of the connections' reach when the open-file limit is below --max-connections: the store's
 * files, the listeners, the admin server's connections and the Pulsar client need theirs.
 */
const MIN_RESERVED_DESCRIPTORS = 64;

export interface ConnectionCounts {
  open: Record<ClientProtocol, number>;
  refused: Record<ClientProtocol, number>;
  expired: Record<ExpiryReason, number>;
}

/** The soft limit on open files (`ulimit -n`) in the text of /proc/<pid>/limits, or undefined when it has none. */
export function openFileLimit(procLimits: string): number | undefined {
  const m = /^Max open files\s+(\d+)/m.exec(procLimits);
  return m ? Number(m[1]) : undefined;
}

/** Connections that fit in `fileLimit` descriptors beside the reserve the rest of the gateway needs. */
export const connectionsWithin = (fileLimit: number): number =>
  Math.max(1, fileLimit - Math.max(MIN_RESERVED_DESCRIPTORS, Math.floor(fileLimit / 4)));

/**
 * The one limit on client connections (--max-connections), shared by every remoting listener and the gRPC port:
 * a connection over it is closed as soon as it is accepted, before it costs more than its descriptor. A burst of
 * refusals leaves one warn line per window, and every refusal and deadline close is counted for the metrics.
 */
export class ConnectionGate {
  private readonly counts: ConnectionCounts = {
    open: { remoting: 0, grpc: 0 },
    refused: { remoting: 0, grpc: 0 },
    expired: { idle: 0, frame_timeout: 0 },
  };
  private lastRefusalLog = -Infinity;
  private refusedUnlogged = 0;

  constructor(readonly limit: number, private readonly log: Logger, private readonly now: () => number = Date.now) {}

  /**
   * A gate for `maxConnections`, lowered (with a warning) when this process's open-file limit could not hold that
   * many: running out of descriptors would stop the admin server and the store too, not just new clients.
   */
  static forProcess(maxConnections: number, log: Logger, procLimits = readProcLimits()): ConnectionGate {
    const files = procLimits === undefined ? undefined : openFileLimit(procLimits);
    const fits = files === undefined ? maxConnections : connectionsWithin(files);
    if (fits < maxConnections) {
      log.warn({ maxConnections, openFileLimit: files, connections: fits }, 'the open-file limit (ulimit -n) cannot hold --max-connections: client connections are limited to fewer; raise the limit to take more');
      return new ConnectionGate(fits, log);
    }
    return new ConnectionGate(maxConnections, log);
  }

  get open(): number {
    return this.counts.open.remoting + this.counts.open.grpc;
  }

  /** Takes `socket` when the limit allows, counting it until it closes; otherwise closes it at once and says false. */
  admit(socket: Socket, protocol: ClientProtocol): boolean {
    if (this.open >= this.limit) {
      socket.on('error', () => undefined);
      socket.destroy();
      this.counts.refused[protocol]++;
      this.logRefusal(protocol);
      return false;
    }
    this.counts.open[protocol]++;
    socket.once('close', () => this.counts.open[protocol]--);
    return true;
  }

  /** A connection its own deadline closed (the closer logs it). */
  expired(reason: ExpiryReason): void {
    this.counts.expired[reason]++;
  }

  snapshot(): ConnectionCounts {
    return structuredClone(this.counts);
  }

  private logRefusal(protocol: ClientProtocol): void {
    this.refusedUnlogged++;
    const now = this.now();
    if (now - this.lastRefusalLog < REFUSAL_LOG_WINDOW_MS) return;
    this.log.warn({ maxConnections: this.limit, protocol, refused: this.refusedUnlogged }, 'connection refused: --max-connections reached; more refusals in the next 10 s are counted, not logged');
    this.lastRefusalLog = now;
    this.refusedUnlogged = 0;
  }
}

function readProcLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}
