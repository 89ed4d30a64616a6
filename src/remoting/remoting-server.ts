import { createServer, type Server, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { listenOn } from '../net/listen.js';
import type { Logger } from '../logger.js';
import { FrameTooLargeError } from './errors.js';
import { RemotingConnection } from './remoting-connection.js';
import { createResponse, isOneway, type RemotingCommand } from './remoting-command.js';
import { TlsModeAcceptor, type TlsModeAcceptorOptions } from './tls-mode-acceptor.js';
import type { RemotingTls } from './tls-settings.js';
import type { ConnectionGate, ExpiryReason } from '../net/connection-gate.js';
import type { DeadlineSettings } from '../net/connection-deadlines.js';

/** Answers one request code. Returning null sends nothing (the processor answered itself or the request was oneway). */
export type RequestProcessor = (request: RemotingCommand, connection: RemotingConnection) => Promise<RemotingCommand | null> | RemotingCommand | null;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** RocketMQ's SYSTEM_ERROR and REQUEST_CODE_NOT_SUPPORTED; the remoting layer needs only these two. */
const SYSTEM_ERROR = 1;
const REQUEST_CODE_NOT_SUPPORTED = 3;
/** distinct refused codes logged per connection */
const MAX_LOGGED_REFUSALS = 32;

/** The name of a request code, when the layers above know it; the remoting layer knows codes only as numbers. */
export type CodeNamer = (code: number) => string | undefined;

/**
 * A failed processor's answer, from the layers that know the error kinds: the response code, the remark, and
 * whether it is the gateway's fault (logged as an error) rather than a refusal of the request.
 */
export type ErrorAnswer = (err: unknown) => { code: number; remark: string; fault: boolean };

/** What the remoting layer needs from the protocol layers above it: code names and error answers. */
export interface ProtocolTerms {
  codeName?: CodeNamer;
  errorAnswer?: ErrorAnswer;
}

const faultAnswer: ErrorAnswer = (err) => ({ code: SYSTEM_ERROR, remark: (err as Error).message, fault: true });

/** Looks at each request before its processor; throwing refuses it (the ACL), answered as a processor's error. */
export type RequestGuard = (request: RemotingCommand, connection: RemotingConnection) => void;

/** Told of every request answered: its code, the response code (-1 for none) and how long it took. */
export type RequestObserver = (code: number, responseCode: number, durationMs: number) => void;

export interface RemotingServerEvents {
  connection: [RemotingConnection];
  disconnect: [RemotingConnection];
}

/**
 * How a listener takes connections: TLS per Apache RocketMQ's tls.server.mode (plaintext only without), the limit
 * on connections it shares with the other client ports, and the deadlines of a connection (the idle one also
 * bounds the wait for a first byte, unless `firstByteTimeoutMs` says otherwise).
 */
export interface ListenerOptions extends TlsModeAcceptorOptions {
  tls?: RemotingTls;
  gate?: ConnectionGate;
  deadlines?: DeadlineSettings;
  /** requests one connection has processed at once (MAX_IN_FLIGHT) */
  maxInFlight?: number;
}

export class RemotingServer extends EventEmitter<RemotingServerEvents> {
  private readonly server: Server;
  private readonly acceptor: TlsModeAcceptor;
  private readonly processors = new Map<number, RequestProcessor>();
  private readonly connections = new Set<RemotingConnection>();
  private readonly inFlight = new Set<Promise<void>>();
  /** why each code refused on purpose is, told in the answer's remark */
  private readonly refusals = new Map<number, string>();
  /** codes each connection was refused, so a client retrying one leaves a single log line */
  private readonly refused = new WeakMap<RemotingConnection, Set<number>>();
  private observer?: RequestObserver;
  private guard?: RequestGuard;
  private boundPort = 0;

  private readonly codeName: CodeNamer;
  private readonly errorAnswer: ErrorAnswer;

  constructor(private readonly log: Logger, private readonly maxFrameSize: number, terms: ProtocolTerms = {}, private readonly listener: ListenerOptions = {}) {
    super();
    this.codeName = terms.codeName ?? (() => undefined);
    this.errorAnswer = terms.errorAnswer ?? faultAnswer;
    const firstByteTimeoutMs = listener.firstByteTimeoutMs ?? listener.deadlines?.idleMs;
    this.acceptor = new TlsModeAcceptor(log, listener.tls, (socket) => this.accept(socket), { ...listener, firstByteTimeoutMs, onSilent: () => listener.gate?.expired('idle') });
    this.server = createServer((socket) => {
      if (listener.gate && !listener.gate.admit(socket, 'remoting')) return;
      this.acceptor.accept(socket);
    });
  }

  observe(observer: RequestObserver): void {
    this.observer = observer;
  }

  guardWith(guard: RequestGuard): void {
    this.guard = guard;
  }

  register(code: number, processor: RequestProcessor): void {
    this.processors.set(code, processor);
  }

  /** Answers `code` REQUEST_CODE_NOT_SUPPORTED, as any code without a processor, and says why. */
  refuse(code: number, reason: string): void {
    this.refusals.set(code, reason);
  }

  async listen(host: string, port: number): Promise<number> {
    this.boundPort = await listenOn(this.server, host, port);
    return this.boundPort;
  }

  /** the port bound by `listen` (0 before) */
  get port(): number {
    return this.boundPort;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Stops accepting, lets requests being processed answer (up to `graceMs`), then closes every
   * connection after flushing what was written to it: a client whose pull was held gets its answer
   * and pulls again, instead of waiting out its timeout on a connection that silently went away.
   */
  async close(graceMs = 6000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const deadline = Date.now() + graceMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.inFlight]), delay(deadline - Date.now())]);
    }
    for (const c of this.connections) c.end();
    this.acceptor.close();
    await Promise.race([closed, delay(1000)]);
    for (const c of this.connections) c.destroy();
    await closed;
  }

  private accept(socket: Socket): void {
    const conn: RemotingConnection = new RemotingConnection(socket, this.maxFrameSize, {
      handle: (req) => {
        const done = this.dispatch(conn, req).catch((err: unknown) => this.log.error({ code: req.code, remote: conn.remoteAddress, err }, 'answering a request failed'));
        this.inFlight.add(done);
        return done.finally(() => this.inFlight.delete(done));
      },
      maxInFlight: this.listener.maxInFlight,
      deadlines: this.listener.deadlines,
    });
    this.connections.add(conn);
    conn.on('protocolError', (err) => {
      const fields = { remote: conn.remoteAddress, error: err.message };
      if (err instanceof FrameTooLargeError) this.log.warn(fields, 'closing connection: frame over the size limit');
      else this.log.warn(fields, 'closing connection: malformed frame');
    });
    conn.on('expired', (reason) => this.expired(conn, reason));
    conn.on('close', () => {
      this.connections.delete(conn);
      this.emit('disconnect', conn);
    });
    this.emit('connection', conn);
  }

  /**
   * An idle client is closed quietly (a pool of idle connections would otherwise fill the log); an unfinished frame is
   * a client at fault, told once.
   */
  private expired(conn: RemotingConnection, reason: ExpiryReason): void {
    this.listener.gate?.expired(reason);
    const { idleMs, frameMs } = this.listener.deadlines!;
    if (reason === 'idle') this.log.debug({ remote: conn.remoteAddress, idleTimeoutMs: idleMs }, 'closing connection: idle');
    else this.log.warn({ remote: conn.remoteAddress, frameTimeoutMs: frameMs }, 'closing connection: frame not complete in time');
  }

  private async dispatch(conn: RemotingConnection, req: RemotingCommand): Promise<void> {
    const started = this.observer ? performance.now() : 0;
    const response = await this.answer(conn, req);
    if (response && !isOneway(req)) conn.send(response);
    this.observer?.(req.code, response?.code ?? -1, performance.now() - started);
  }

  private async answer(conn: RemotingConnection, req: RemotingCommand): Promise<RemotingCommand | null> {
    const processor = this.processors.get(req.code);
    let response: RemotingCommand | null;
    if (!processor) {
      const name = this.codeName(req.code);
      const reason = this.refusals.get(req.code);
      this.logRefused(conn, req.code, name);
      response = createResponse(req, REQUEST_CODE_NOT_SUPPORTED, `request code ${req.code}${name ? ` (${name})` : ''} is not supported by this gateway${reason ? `: ${reason}` : ''}`);
    } else {
      try {
        this.guard?.(req, conn);
        response = await processor(req, conn);
      } catch (err) {
        const answer = this.errorAnswer(err);
        if (!answer.fault) {
          this.log.debug({ code: req.code, remote: conn.remoteAddress, responseCode: answer.code, reason: answer.remark }, 'request refused');
          return createResponse(req, answer.code, answer.remark);
        }
        this.log.error({ code: req.code, remote: conn.remoteAddress, err }, 'request failed');
        response = createResponse(req, answer.code, `request code ${req.code} failed: ${answer.remark}`);
      }
    }
    return response;
  }

  private logRefused(conn: RemotingConnection, code: number, name: string | undefined): void {
    let codes = this.refused.get(conn);
    if (!codes) this.refused.set(conn, (codes = new Set()));
    // A client cycling through codes gets a bounded number of lines and a bounded set.
    if (codes.has(code) || codes.size >= MAX_LOGGED_REFUSALS) return;
    codes.add(code);
    this.log.warn({ remote: conn.remoteAddress, code, name }, 'request code not supported');
  }
}
