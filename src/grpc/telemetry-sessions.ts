import { randomUUID } from 'node:crypto';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { ClientSettings } from './client-settings.js';
import { resourceName } from './message-conversion.js';
import type { Resource } from './v2-types.js';
import type { SubscriptionView } from '../protocol/subscription.js';
import { ok, type Status } from './status-code.js';
import { BrokerError } from '../errors/broker-error.js';
import type { StoredMessage } from '../store/message-store.js';
import { toV2Message } from './message-conversion.js';

/** A TelemetryCommand as @grpc/proto-loader presents it: `command` names the oneof field that is set. */
export interface TelemetryCommand {
  status?: Status | null;
  command?: string;
  settings?: ClientSettings | null;
  threadStackTrace?: { nonce: string; threadStackTrace?: string } | null;
  verifyMessageResult?: { nonce: string } | null;
  verifyMessageCommand?: { nonce: string } | null;
  [field: string]: unknown;
}

export type TelemetryCall = ServerDuplexStream<TelemetryCommand, TelemetryCommand>;

/**
 * The RocketMQ version ordinal a gRPC client counts as where 4.x tools show versions: V5_0_0 (413 in
 * MQVersion.Version), as Apache's proxy registers every gRPC client, whatever its own version.
 */
export const GRPC_CLIENT_VERSION = 413;

/** What the gateway knows of a connected RocketMQ 5 client, from its telemetry stream. */
export interface GrpcClientInfo {
  clientId: string;
  clientType: string;
  /** the client's language and version, from the user agent of its settings */
  language: string;
  version: string;
  /** a consumer's group */
  group?: string;
  /** a producer's topics */
  topics: string[];
  /** a consumer's subscriptions: topic, filter expression and its 4.x type (TAG or SQL92) */
  subscriptions: SubscriptionView[];
  peer: string;
  /** when it last sent settings or a heartbeat */
  lastSeen: number;
}

interface Session {
  call: TelemetryCall;
  info: GrpcClientInfo;
  /** commands sent to the client, by nonce, waiting for its answer */
  asked: Map<string, { resolve(reply: TelemetryCommand): void; reject(err: Error): void }>;
}


/**
 * The telemetry streams of connected RocketMQ 5 clients, by client id: the one way the gateway can reach a
 * client (transaction checks, thread stacks, message verification), and while open, the sign it is alive.
 */
export class TelemetrySessions {
  private readonly sessions = new Map<string, Session>();

  /** Records a client's stream and the settings it sent on it (a client sends them again after changes). */
  settle(clientId: string, call: TelemetryCall, settings: ClientSettings): void {
    let session = this.sessions.get(clientId);
    if (!session || session.call !== call) {
      session = { call, asked: new Map(), info: { clientId, clientType: '', language: '', version: '', topics: [], subscriptions: [], peer: call.getPeer(), lastSeen: Date.now() } };
      this.sessions.set(clientId, session);
      call.once('close', () => this.end(clientId, call));
      call.once('error', () => this.end(clientId, call));
    }
    session.info.lastSeen = Date.now();
    const agent = (settings.userAgent ?? {}) as { language?: string; version?: string };
    session.info.clientType = String(settings.clientType ?? '');
    session.info.language = agent.language ?? '';
    session.info.version = agent.version ?? '';
    const group = settings.subscription?.group as Resource | undefined;
    if (group?.name) session.info.group = resourceName(group, 'group');
    session.info.topics = ((settings.publishing?.topics ?? []) as Resource[]).filter((t) => t?.name).map((t) => resourceName(t));
    type Entry = { topic?: Resource | null; expression?: { expression?: string; type?: string } | null };
    session.info.subscriptions = ((settings.subscription?.subscriptions ?? []) as Entry[])
      .filter((e) => e?.topic?.name)
      .map((e) => ({ topic: resourceName(e.topic), expression: e.expression?.expression || '*', type: e.expression?.type === 'SQL' ? 'SQL92' : 'TAG' }));
  }

  /**
   * Routes a client's answer to the command that asked for it. The Node client refuses a verification by
   * echoing the command itself, with its status, instead of a VerifyMessageResult.
   */
  answer(clientId: string, reply: TelemetryCommand): void {
    const nonce = reply.threadStackTrace?.nonce ?? reply.verifyMessageResult?.nonce ?? reply.verifyMessageCommand?.nonce;
    if (nonce === undefined) return;
    this.sessions.get(clientId)?.asked.get(nonce)?.resolve(reply);
  }

  heartbeat(clientId: string): void {
    const session = this.sessions.get(clientId);
    if (session) session.info.lastSeen = Date.now();
  }

  alive(clientId: string): boolean {
    return this.sessions.has(clientId);
  }

  /** The client's type as its settings said (PRODUCER, PUSH_CONSUMER, SIMPLE_CONSUMER), if it has a session. */
  typeOf(clientId: string): string | undefined {
    return this.sessions.get(clientId)?.info.clientType;
  }

  clients(): GrpcClientInfo[] {
    return [...this.sessions.values()].map((s) => s.info);
  }

  /** A producer that publishes `topic`, if one is connected. */
  publisherOf(topic: string): string | undefined {
    for (const [clientId, s] of this.sessions) if (s.info.topics.includes(topic)) return clientId;
    return undefined;
  }

  /** Sends a server command; false when the client has no open stream. */
  send(clientId: string, command: TelemetryCommand): boolean {
    const session = this.sessions.get(clientId);
    if (!session) return false;
    session.call.write(command);
    return true;
  }

  /**
   * Sends a command that carries a nonce and waits for the client's answer with the same nonce. `build`
   * makes the command from the nonce.
   */
  ask(clientId: string, build: (nonce: string) => TelemetryCommand, timeoutMs: number): Promise<TelemetryCommand> {
    const session = this.sessions.get(clientId);
    if (!session) return Promise.reject(new BrokerError('client-timeout', `client ${clientId} has no telemetry stream open with this gateway`));
    const nonce = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        session.asked.delete(nonce);
        reject(new BrokerError('client-timeout', `client ${clientId} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = (): void => {
        clearTimeout(timer);
        session.asked.delete(nonce);
      };
      session.asked.set(nonce, {
        resolve: (reply) => { settle(); resolve(reply); },
        reject: (err) => { settle(); reject(err); },
      });
      session.call.write(build(nonce));
    });
  }

  /** The client's thread stacks, as it reports them (the Node client answers a placeholder). */
  async printThreadStack(clientId: string, timeoutMs: number): Promise<string> {
    const reply = await this.ask(clientId, (nonce) => ({ printThreadStackTraceCommand: { nonce } }), timeoutMs);
    return reply.threadStackTrace?.threadStackTrace ?? '';
  }

  /**
   * Has a consumer run its listener on `message` (Apache's "consume message directly"); answers the status the
   * client reports: OK when its listener consumed it.
   */
  async verifyMessage(clientId: string, message: StoredMessage, storeHost: string, timeoutMs: number): Promise<Status> {
    // Listeners see it as its next delivery (Apache's proxy sets the attempt from the reconsume count, never 0).
    const delivery = { deliveryAttempt: message.reconsumeTimes + 1 };
    const reply = await this.ask(clientId, (nonce) => ({ verifyMessageCommand: { nonce, message: toV2Message(message, storeHost, delivery) } }), timeoutMs);
    return reply.status ?? ok();
  }

  private end(clientId: string, call: TelemetryCall): void {
    const session = this.sessions.get(clientId);
    if (session?.call !== call) return;
    this.sessions.delete(clientId);
    for (const waiting of [...session.asked.values()]) waiting.reject(new BrokerError('client-timeout', `client ${clientId} closed its telemetry stream before it answered`));
  }
}
