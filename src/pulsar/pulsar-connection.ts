import { connect as netConnect, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { CommandType, u64, type BaseCommand, type MessageMetadata } from './pulsar-api.js';
import { PulsarFrameDecoder, encodeCommand, encodePayloadCommand, type Frame, type PayloadFrame } from './frame-codec.js';
import { PulsarAccessError, PulsarConnectionError, PulsarServerError, PulsarTimeoutError } from './errors.js';
import { WriteCoalescer } from '../net/write-coalescer.js';
import type { PulsarAuthentication } from './auth.js';
import { isCertificateError, openTlsSocket, type PulsarTlsOptions } from './tls.js';

export const CLIENT_VERSION = 'rop-pulsar-client 0.1';
/** v20 is the newest protocol version whose features this client handles (broker entry metadata needs ≥ 18). */
const PROTOCOL_VERSION = 20;

export interface ConnectionOptions {
  host: string;
  port: number;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Idle time after which we PING; the connection dies if nothing arrives for twice that. */
  keepAliveMs?: number;
  /** Speak TLS, checking the broker's certificate so (a pulsar+ssl:// URL). */
  tls?: PulsarTlsOptions;
  /** Credentials sent in CONNECT and again whenever the broker challenges them. */
  auth?: PulsarAuthentication;
}

/** ServerError codes with which a broker refuses a CONNECT's credentials. */
const AUTHENTICATION_ERROR = 3;
const AUTHORIZATION_ERROR = 4;

/** Errors that say why the connection ended better than "connection lost" would, passed on as they are. */
const telling = (err: unknown): err is PulsarServerError | PulsarAccessError =>
  err instanceof PulsarServerError || err instanceof PulsarAccessError;

/** Receives what the broker sends to one producer or consumer on this connection. */
export interface ResourceHandler {
  onCommand(command: BaseCommand, payload?: PayloadFrame): void;
  /** The connection is gone; the resource must re-attach elsewhere. */
  onConnectionClosed(): void;
}

interface PendingRequest {
  resolve(cmd: BaseCommand): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  onQueued?: () => void;
}

/**
 * One TCP (or TLS) connection to a Pulsar broker: the CONNECT handshake with credentials, answers to the broker's
 * auth challenges, request/response correlation by request_id, routing of receipts and messages to producers and
 * consumers by id, and keep-alive. Emits 'close' once, whatever the cause, and 'authChallenge' per answered challenge.
 */
export class PulsarConnection extends EventEmitter {
  maxMessageSize = 5 * 1024 * 1024;
  serverVersion = '';
  private readonly decoder = new PulsarFrameDecoder();
  private readonly pending = new Map<number, PendingRequest>();
  private readonly producers = new Map<number, ResourceHandler>();
  private readonly consumers = new Map<number, ResourceHandler>();
  private nextRequestId = 1;
  private lastReceived = Date.now();
  private keepAlive?: NodeJS.Timeout;
  private closed = false;

  private readonly writer: WriteCoalescer;

  private constructor(
    private readonly socket: Socket,
    private readonly requestTimeoutMs: number,
    private readonly address: string,
    private readonly auth?: PulsarAuthentication,
  ) {
    super();
    this.writer = new WriteCoalescer(socket, 'iteration');
    socket.setNoDelay(true);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  static async open(opts: ConnectionOptions): Promise<PulsarConnection> {
    const socket = opts.tls ? openTlsSocket(opts.host, opts.port, opts.tls) : netConnect({ host: opts.host, port: opts.port });
    const conn = new PulsarConnection(socket, opts.requestTimeoutMs ?? 30_000, `${opts.host}:${opts.port}`, opts.auth);
    const connected = new Promise<BaseCommand>((resolve, reject) => {
      const timer = setTimeout(() => reject(new PulsarTimeoutError(`connect to ${opts.host}:${opts.port} timed out`)), opts.connectTimeoutMs ?? 10_000);
      conn.once('connected', (cmd: BaseCommand) => { clearTimeout(timer); resolve(cmd); });
      conn.once('close', (err?: Error) => {
        clearTimeout(timer);
        reject(telling(err) ? err : new PulsarConnectionError(`connection to ${opts.host}:${opts.port} failed: ${err?.message ?? 'closed'}`));
      });
    });
    socket.on('data', (chunk: Buffer) => conn.onData(chunk));
    socket.on('error', (err) => conn.terminate(isCertificateError(err)
      ? new PulsarAccessError(`TLS connection to Pulsar at ${opts.host}:${opts.port} refused its certificate: ${err.message}`)
      : err));
    socket.on('close', () => conn.terminate());
    socket.once(opts.tls ? 'secureConnect' : 'connect', () => conn.sendConnect());
    const cmd = await connected;
    conn.serverVersion = cmd.connected!.serverVersion;
    if (cmd.connected!.maxMessageSize) conn.maxMessageSize = cmd.connected!.maxMessageSize;
    conn.startKeepAlive(opts.keepAliveMs ?? 30_000);
    return conn;
  }

  private sendConnect(): void {
    try {
      this.socket.write(encodeCommand(connectCommand(this.auth)));
    } catch (err) {
      this.terminate(err as Error);
    }
  }

  /** The broker asks for credentials again (their expiry, PIP-55): fresh ones are read and sent back. */
  private answerAuthChallenge(cmd: BaseCommand): void {
    if (!this.auth) {
      this.terminate(new PulsarAccessError(`Pulsar at ${this.address} asks for credentials, and none are configured`));
      return;
    }
    try {
      this.send(authResponseCommand(this.auth));
    } catch (err) {
      this.terminate(err as Error);
      return;
    }
    this.emit('authChallenge', cmd.authChallenge?.challenge?.authMethodName);
  }

  newRequestId(): number {
    return this.nextRequestId++;
  }

  /**
   * Sends a command that carries `requestId` and resolves with the broker's answer to it. A producer the broker
   * queues for exclusive access gets a not-ready answer first: `onQueued` runs, and the request then waits
   * without a timeout for the final answer, which comes whenever the broker promotes the producer.
   */
  request(command: BaseCommand, requestId: number, timeoutMs = this.requestTimeoutMs, onQueued?: () => void): Promise<BaseCommand> {
    if (this.closed) return Promise.reject(new PulsarConnectionError('connection closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new PulsarTimeoutError(`request ${requestId} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer, onQueued });
      this.writer.write(encodeCommand(command));
    });
  }

  /** Stops waiting for the answer to `requestId`: its promise rejects with `reason` and a later answer is ignored. */
  abandon(requestId: number, reason: Error): void {
    const p = this.pending.get(requestId);
    if (!p) return;
    this.pending.delete(requestId);
    clearTimeout(p.timer);
    p.reject(reason);
  }

  send(command: BaseCommand): void {
    if (!this.closed) this.writer.write(encodeCommand(command));
  }

  /** Writes a payload command; returns false when the socket buffer is full (the caller may wait for 'drain'). */
  sendPayload(command: BaseCommand, metadata: MessageMetadata, payload: Buffer): boolean {
    if (this.closed) return false;
    return this.writer.write(encodePayloadCommand(command, metadata, payload));
  }

  registerProducer(id: number, handler: ResourceHandler): void {
    this.producers.set(id, handler);
  }

  registerConsumer(id: number, handler: ResourceHandler): void {
    this.consumers.set(id, handler);
  }

  unregisterProducer(id: number): void {
    this.producers.delete(id);
  }

  unregisterConsumer(id: number): void {
    this.consumers.delete(id);
  }

  close(): void {
    this.socket.end();
    this.terminate();
  }

  private startKeepAlive(intervalMs: number): void {
    this.keepAlive = setInterval(() => {
      const idle = Date.now() - this.lastReceived;
      if (idle > 2 * intervalMs) this.terminate(new PulsarConnectionError(`no data from broker for ${idle} ms`));
      else if (idle >= intervalMs) this.send({ type: CommandType.PING, ping: {} });
    }, intervalMs / 2);
    this.keepAlive.unref();
  }

  private onData(chunk: Buffer): void {
    this.lastReceived = Date.now();
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.terminate(err as Error);
      return;
    }
    for (const f of frames) this.dispatch(f);
  }

  private dispatch({ command: cmd, payload }: Frame): void {
    switch (cmd.type) {
      case CommandType.CONNECTED:
        this.emit('connected', cmd);
        return;
      case CommandType.PING:
        this.send({ type: CommandType.PONG, pong: {} });
        return;
      case CommandType.PONG:
        return;
      case CommandType.SUCCESS:
        return this.settle(u64(cmd.success!.requestId), cmd);
      case CommandType.AUTH_CHALLENGE:
        this.answerAuthChallenge(cmd);
        return;
      case CommandType.ERROR:
        if (this.pending.size === 0 && !this.serverVersion) {
          // An ERROR before CONNECTED is the broker refusing the handshake.
          const { error, message } = cmd.error!;
          this.terminate(error === AUTHENTICATION_ERROR || error === AUTHORIZATION_ERROR
            ? new PulsarAccessError(`Pulsar at ${this.address} refused the credentials: ${new PulsarServerError(error, message).message}`)
            : new PulsarServerError(error, message));
          return;
        }
        return this.settle(u64(cmd.error!.requestId), cmd);
      case CommandType.PRODUCER_SUCCESS:
        if (cmd.producerSuccess!.producerReady === false) return this.queued(u64(cmd.producerSuccess!.requestId));
        return this.settle(u64(cmd.producerSuccess!.requestId), cmd);
      case CommandType.LOOKUP_RESPONSE:
        return this.settle(u64(cmd.lookupTopicResponse!.requestId), cmd);
      case CommandType.PARTITIONED_METADATA_RESPONSE:
        return this.settle(u64(cmd.partitionMetadataResponse!.requestId), cmd);
      case CommandType.GET_LAST_MESSAGE_ID_RESPONSE:
        return this.settle(u64(cmd.getLastMessageIdResponse!.requestId), cmd);
      case CommandType.SEND_RECEIPT:
        this.producers.get(u64(cmd.sendReceipt!.producerId))?.onCommand(cmd);
        return;
      case CommandType.SEND_ERROR:
        this.producers.get(u64(cmd.sendError!.producerId))?.onCommand(cmd);
        return;
      case CommandType.CLOSE_PRODUCER:
        this.producers.get(u64(cmd.closeProducer!.producerId))?.onCommand(cmd);
        return;
      case CommandType.MESSAGE:
        this.consumers.get(u64(cmd.message!.consumerId))?.onCommand(cmd, payload);
        return;
      case CommandType.CLOSE_CONSUMER:
        this.consumers.get(u64(cmd.closeConsumer!.consumerId))?.onCommand(cmd);
        return;
      case CommandType.REACHED_END_OF_TOPIC:
        this.consumers.get(u64(cmd.reachedEndOfTopic!.consumerId))?.onCommand(cmd);
        return;
      case CommandType.ACTIVE_CONSUMER_CHANGE:
        this.consumers.get(u64(cmd.activeConsumerChange!.consumerId))?.onCommand(cmd);
        return;
      case CommandType.TOPIC_MIGRATED: {
        const m = cmd.topicMigrated!;
        const table = m.resourceType === 0 ? this.producers : this.consumers;
        table.get(u64(m.resourceId))?.onCommand(cmd);
        return;
      }
      default:
        this.emit('unexpected', cmd);
    }
  }

  private queued(requestId: number): void {
    const p = this.pending.get(requestId);
    if (!p) return;
    clearTimeout(p.timer);
    p.onQueued?.();
  }

  private settle(requestId: number, cmd: BaseCommand): void {
    const p = this.pending.get(requestId);
    if (!p) return;
    this.pending.delete(requestId);
    clearTimeout(p.timer);
    if (cmd.type === CommandType.ERROR) p.reject(new PulsarServerError(cmd.error!.error, cmd.error!.message));
    else p.resolve(cmd);
  }

  private terminate(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.socket.destroy();
    const reason = telling(err) ? err : new PulsarConnectionError(`connection lost${err ? `: ${err.message}` : ''}`);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(reason);
    }
    this.pending.clear();
    for (const h of this.producers.values()) h.onConnectionClosed();
    for (const h of this.consumers.values()) h.onConnectionClosed();
    this.producers.clear();
    this.consumers.clear();
    this.emit('close', err);
  }
}

/** CONNECT, with the credentials when there are any; it says this client answers auth challenges. */
export function connectCommand(auth?: PulsarAuthentication): BaseCommand {
  return {
    type: CommandType.CONNECT,
    connect: {
      clientVersion: CLIENT_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      ...(auth ? { authMethodName: auth.methodName, authData: auth.authData() } : {}),
      featureFlags: { supportsBrokerEntryMetadata: true, supportsAuthRefresh: true },
    },
  };
}

/** AUTH_RESPONSE with credentials read now, as the Java client answers a refresh challenge. */
export function authResponseCommand(auth: PulsarAuthentication): BaseCommand {
  return {
    type: CommandType.AUTH_RESPONSE,
    authResponse: {
      clientVersion: CLIENT_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      response: { authMethodName: auth.methodName, authData: auth.authData() },
    },
  };
}
