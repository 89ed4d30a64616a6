import type { ServerUnaryCall, ServerWritableStream, sendUnaryData, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { BrokerContext } from '../broker/broker-context.js';
import { BrokerError } from '../errors/broker-error.js';
import { Perm } from '../protocol/bodies.js';
import { assignmentAnswer, endpointsOf, routeAnswer, type RouteBroker } from './route-answers.js';
import { ownerEndpoints, requireServedHere, type ServedElsewhere } from './served-elsewhere.js';
import { Code, ok, type Status } from './status-code.js';
import { grpcStatus } from '../errors/boundaries.js';
import { answerSettings, type ClientSettings } from './client-settings.js';
import { resourceName, toNewMessage, toV2Message } from './message-conversion.js';
import { fromMillis, toMillis, type Endpoints, type Resource, type Timestamp, type V2Message } from './v2-types.js';
import type { PopConsumptionService } from '../broker/pop-consumption-service.js';
import { filterOf } from './filter-expression.js';
import { DEFAULT_MAX_RECONSUME_TIMES, validateGroupName } from '../broker/broker-context.js';
import { admitMessages } from '../broker/message-admission.js';
import type { TransactionService } from '../broker/transaction-service.js';
import { TransactionalMessages, type EndTransactionRequest } from './transactional-messages.js';
import { QueueOffsets, type OffsetRequest } from './queue-offsets.js';
import type { TelemetryCall, TelemetryCommand, TelemetrySessions } from './telemetry-sessions.js';

interface ReceiveMessageRequest {
  group?: Resource | null;
  messageQueue?: { topic?: Resource | null } | null;
  filterExpression?: { type: string; expression: string } | null;
  batchSize: number;
  invisibleDuration?: Timestamp | null;
  autoRenew: boolean;
  longPollingTimeout?: Timestamp | null;
}

interface AckMessageRequest {
  group?: Resource | null;
  topic?: Resource | null;
  entries: Array<{ messageId: string; receiptHandle: string }>;
}

interface ForwardToDeadLetterQueueRequest {
  group?: Resource | null;
  topic?: Resource | null;
  receiptHandle: string;
  messageId: string;
}

interface ChangeInvisibleDurationRequest {
  group?: Resource | null;
  topic?: Resource | null;
  receiptHandle: string;
  invisibleDuration?: Timestamp | null;
  messageId: string;
}

/** Invisible durations a receive may ask for, as Apache's proxy (a nack shortens it by ChangeInvisibleDuration). */
const MIN_INVISIBLE_MS = 10_000;
const MAX_INVISIBLE_MS = 12 * 3600_000;
/** Apache's proxy defaultInvisibleTimeMills, which auto-renewed receives get */
const AUTO_RENEW_INVISIBLE_MS = 60_000;
/** Long polling bounds, and what a receive keeps back of its client's deadline to answer in time. */
const DEFAULT_POLL_MS = 20_000;
const DEADLINE_MARGIN_MS = 1000;
/**
 * Messages per receive: a simple consumer's asked batch is capped as Apache's proxy caps it; a push consumer asks
 * for what its settings said (client-settings.ts), which keeps up with more producers than 32 would.
 */
const MAX_BATCH = 128;
const MAX_SIMPLE_BATCH = 32;

export interface MessagingSettings {
  /** host the route advertises when a client names no endpoints */
  advertisedHost: string;
  grpcPort: () => number;
  retryDelaysMs: number[];
  /** called with each unary call and receive answered: method, status code, milliseconds (a receive counts its wait) */
  observe?: (method: string, statusCode: string, durationMs: number) => void;
  /** in a cluster, whether another gateway serves this broker now: routes send clients there */
  servedElsewhere?: ServedElsewhere;
  /** with workers, every slot's broker and the gRPC endpoint of the worker serving it: routes name them all */
  slotBrokers?: () => Array<{ name: string; grpcAddress: string }>;
}

/** A stable hash of a message group, so that one group always lands in one queue. */
function groupHash(group: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < group.length; i++) h = Math.imul(h ^ group.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * apache.rocketmq.v2.MessagingService for RocketMQ 5 clients, over the same broker and store as the 4.x
 * remoting protocol: routes, sends, pop-style receives and acks, the Telemetry stream, and through modules of
 * their own transactions and queue offsets. Refusals travel as the status inside each response, as Apache's
 * proxy answers; RPCs not served answer NOT_IMPLEMENTED the same way.
 */
export class MessagingService {
  private readonly nextQueue = new Map<string, number>();
  /** receives waiting for messages, by client id, so that a client shutting down need not wait them out */
  private readonly waitingReceives = new Map<string, Set<AbortController>>();
  private readonly transactional: TransactionalMessages;
  private readonly offsets: QueueOffsets;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly pops: PopConsumptionService,
    transactions: TransactionService,
    private readonly sessions: TelemetrySessions,
    private readonly settings: MessagingSettings,
  ) {
    this.transactional = new TransactionalMessages(ctx, transactions, sessions);
    this.offsets = new QueueOffsets(ctx);
  }

  implementation(): UntypedServiceImplementation {
    const notImplemented = (name: string) => (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) =>
      callback(null, { status: { code: Code.NOT_IMPLEMENTED, message: `${name} is not served by this gateway yet` } });
    const streamNotImplemented = (name: string) => (call: ServerWritableStream<unknown, unknown>) => {
      call.write({ status: { code: Code.NOT_IMPLEMENTED, message: `${name} is not served by this gateway yet` } });
      call.end();
    };
    return {
      QueryRoute: this.unary('QueryRoute', (req: { topic: Resource; endpoints?: Endpoints | null }) => this.queryRoute(req)),
      Heartbeat: this.unary('Heartbeat', async (_req, _peer, clientId) => {
        this.sessions.heartbeat(clientId);
        return {};
      }),
      SendMessage: this.unary('SendMessage', (req: { messages: V2Message[] }, peer, clientId) => this.sendMessage(req, peer, clientId)),
      NotifyClientTermination: this.unary('NotifyClientTermination', async (_req, _peer, clientId) => {
        for (const receive of this.waitingReceives.get(clientId) ?? []) receive.abort();
        return {};
      }),
      Telemetry: (call: TelemetryCall) => this.telemetry(call),
      QueryAssignment: this.unary('QueryAssignment', (req: { topic: Resource; group: Resource; endpoints?: Endpoints | null }) => this.queryAssignment(req)),
      AckMessage: this.unary('AckMessage', (req: AckMessageRequest) => this.ackMessage(req)),
      ForwardMessageToDeadLetterQueue: this.unary('ForwardMessageToDeadLetterQueue', (req: ForwardToDeadLetterQueueRequest) => this.forwardToDeadLetterQueue(req)),
      UpdateOffset: this.unary('UpdateOffset', (req: OffsetRequest) => this.offsets.update(req)),
      GetOffset: this.unary('GetOffset', (req: OffsetRequest) => this.offsets.get(req)),
      QueryOffset: this.unary('QueryOffset', (req: OffsetRequest) => this.offsets.query(req)),
      EndTransaction: this.unary('EndTransaction', async (req: EndTransactionRequest) => {
        await this.transactional.end(req);
        return {};
      }),
      ChangeInvisibleDuration: this.unary('ChangeInvisibleDuration', (req: ChangeInvisibleDurationRequest) => this.changeInvisibleDuration(req)),
      RecallMessage: notImplemented('RecallMessage'),
      SyncLiteSubscription: notImplemented('SyncLiteSubscription'),
      ReceiveMessage: (call: ServerWritableStream<ReceiveMessageRequest, unknown>) => void this.receiveMessage(call),
      PullMessage: streamNotImplemented('PullMessage'),
    };
  }

  /**
   * A unary handler: the client id every v5 client sends is required, and whatever the handler throws
   * becomes the response's status.
   */
  private unary<Req>(method: string, handle: (req: Req, peer: string, clientId: string) => Promise<Record<string, unknown>>) {
    return (call: ServerUnaryCall<Req, unknown>, callback: sendUnaryData<unknown>): void => {
      const started = performance.now();
      const answer = (response: Record<string, unknown> & { status: Status }) => {
        callback(null, response);
        this.settings.observe?.(method, response.status.code, performance.now() - started);
      };
      const clientId = call.metadata.get('x-mq-client-id')[0];
      if (!clientId) {
        answer({ status: { code: Code.CLIENT_ID_REQUIRED, message: 'the x-mq-client-id header is missing' } });
        return;
      }
      const served = async () => requireServedHere(method, this.settings.servedElsewhere, this.ctx.settings.brokerName);
      served().then(() => handle(call.request, call.getPeer(), String(clientId))).then(
        (response) => answer({ status: ok(), ...response }),
        (err: unknown) => {
          const status = grpcStatus(err);
          if (status.code === Code.INTERNAL_SERVER_ERROR) this.ctx.log.error({ err, peer: call.getPeer() }, 'gRPC request failed');
          answer({ status });
        },
      );
    };
  }

  private async queryRoute(req: { topic: Resource; endpoints?: Endpoints | null }): Promise<Record<string, unknown>> {
    const topic = await this.ctx.topicOrCreate(resourceName(req.topic));
    return routeAnswer(req.topic, topic, this.brokersFor(req.endpoints));
  }

  private async queryAssignment(req: { topic: Resource; group: Resource; endpoints?: Endpoints | null }): Promise<Record<string, unknown>> {
    const name = resourceName(req.topic);
    resourceName(req.group, 'group');
    const topic = this.ctx.existingTopic(name);
    if (!(topic.perm & Perm.READ) || topic.readQueueNums === 0) throw new BrokerError('forbidden', `topic ${name} has no readable queue`);
    return assignmentAnswer(req.topic, this.brokersFor(req.endpoints));
  }

  /**
   * The brokers routes name: every slot's, each at its worker's endpoint, when workers share the cluster; else
   * this broker, at the endpoints the client reached us by (as Apache's proxy answers), else the advertised host.
   */
  private brokersFor(asked: Endpoints | null | undefined): RouteBroker[] {
    const slots = this.settings.slotBrokers?.();
    if (slots) return slots.map((b) => ({ name: b.name, id: 0, endpoints: endpointsOf(b.grpcAddress) }));
    const endpoints: Endpoints = ownerEndpoints(this.settings.servedElsewhere) ?? (asked && asked.addresses.length > 0
      ? asked
      : { scheme: /^[\d.]+$/.test(this.settings.advertisedHost) ? 'IPv4' : 'DOMAIN_NAME', addresses: [{ host: this.settings.advertisedHost, port: this.settings.grpcPort() }] });
    return [{ name: this.ctx.settings.brokerName, id: 0, endpoints }];
  }

  /**
   * The queue is chosen here, not by the client (the Node client only ever names queue 0): a message group
   * always maps to one queue, everything else goes round-robin over the writable queues.
   */
  private async sendMessage(req: { messages: V2Message[] }, peer: string, clientId: string): Promise<Record<string, unknown>> {
    if (req.messages.length !== 1) throw new BrokerError('bad-request', `send one message per request, not ${req.messages.length}`);
    const m = req.messages[0]!;
    const name = resourceName(m.topic);
    const message = toNewMessage(m, peer);
    admitMessages(name, [message], this.ctx.settings.maxMessageSize);
    const topic = await this.ctx.topicOrCreate(name);
    if (!(topic.perm & Perm.WRITE)) throw new BrokerError('forbidden', `topic ${name} is not writable`);
    const group = m.systemProperties?.messageGroup;
    let queueId: number;
    if (group) queueId = groupHash(group) % topic.writeQueueNums;
    else {
      queueId = (this.nextQueue.get(name) ?? 0) % topic.writeQueueNums;
      this.nextQueue.set(name, queueId + 1);
    }
    const messageId = m.systemProperties!.messageId;
    this.ctx.fastFailure.admitSend('grpc', name, queueId);
    if (m.systemProperties!.messageType === 'TRANSACTION') {
      const { transactionId, offset } = await this.transactional.prepare(name, queueId, message);
      this.ctx.log.debug({ topic: name, messageId, clientId }, 'gRPC half message stored');
      return { entries: [{ status: ok(), messageId, transactionId, offset, recallHandle: '' }] };
    }
    const result = await this.ctx.putMessages(name, queueId, [message]);
    this.ctx.traffic.messagesIn(name, 1, message.body.length);
    return { entries: [{ status: ok(), messageId, transactionId: '', offset: result.firstOffset, recallHandle: '' }] };
  }

  /**
   * A pop: the status first, then the messages, then the delivery time, as clients expect the stream. The
   * queue the client names stands for the whole topic on this broker (the Node client only names queue 0).
   * With nothing ready it waits up to the long-polling timeout, and answers before the client's deadline.
   */
  private async receiveMessage(call: ServerWritableStream<ReceiveMessageRequest, unknown>): Promise<void> {
    const started = performance.now();
    let finished = false;
    const finish = (status: Status, messages: Record<string, unknown>[] = []) => {
      finished = true;
      this.settings.observe?.('ReceiveMessage', status.code, performance.now() - started);
      call.write({ status });
      for (const message of messages) call.write({ message });
      call.write({ deliveryTimestamp: fromMillis(Date.now()) });
      call.end();
    };
    const abort = new AbortController();
    // grpc-js also reports a call that ended normally as cancelled; only a wait cut short needs aborting.
    const onCancelled = () => {
      if (!finished) abort.abort();
    };
    call.on('cancelled', onCancelled);
    const clientId = String(call.metadata.get('x-mq-client-id')[0] ?? '');
    let waiting = this.waitingReceives.get(clientId);
    if (!waiting) this.waitingReceives.set(clientId, (waiting = new Set()));
    waiting.add(abort);
    try {
      const req = call.request;
      requireServedHere('ReceiveMessage', this.settings.servedElsewhere, this.ctx.settings.brokerName);
      this.ctx.fastFailure.admit('grpc');
      const group = resourceName(req.group, 'group');
      validateGroupName(group);
      const topic = resourceName(req.messageQueue?.topic);
      this.ctx.existingTopic(topic);
      // As Apache's proxy: an auto-renewed receive gets the default invisible time, whatever it asked.
      const invisibleMs = req.autoRenew ? AUTO_RENEW_INVISIBLE_MS : req.invisibleDuration ? toMillis(req.invisibleDuration) : 0;
      if (invisibleMs < MIN_INVISIBLE_MS || invisibleMs > MAX_INVISIBLE_MS) {
        const bound = invisibleMs < MIN_INVISIBLE_MS ? `too small. min is ${MIN_INVISIBLE_MS}` : `too large. max is ${MAX_INVISIBLE_MS}`;
        throw new BrokerError('illegal-invisible-time', `the invisibleTime is ${bound} (got ${invisibleMs} ms)`);
      }
      const deadline = call.getDeadline();
      const clientLeft = deadline === Infinity ? Number.MAX_SAFE_INTEGER : new Date(deadline).getTime() - Date.now() - DEADLINE_MARGIN_MS;
      const waitMs = Math.max(0, Math.min(req.longPollingTimeout ? toMillis(req.longPollingTimeout) : DEFAULT_POLL_MS, clientLeft));
      const policy = this.deliveryPolicy(group);
      const popped = await this.pops.pop({
        group,
        topic,
        subscription: filterOf(req.filterExpression, this.ctx.settings.enablePropertyFilter),
        maxMessages: Math.max(1, Math.min(req.batchSize || 32, this.sessions.typeOf(clientId) === 'SIMPLE_CONSUMER' ? MAX_SIMPLE_BATCH : MAX_BATCH)),
        invisibleMs,
        waitMs,
        maxDeliveryAttempts: policy.maxDeliveryAttempts,
        orderly: policy.fifo,
        renewWhile: req.autoRenew ? () => this.sessions.alive(clientId) : undefined,
      }, abort.signal);
      if (popped.length === 0) return finish({ code: Code.MESSAGE_NOT_FOUND, message: 'no new message' });
      if (call.cancelled) {
        // The client stopped waiting (its deadline, its shutdown) while these were popped for it: nobody got them.
        this.pops.release(group, topic, popped);
        return;
      }
      let bytes = 0;
      for (const p of popped) bytes += p.message.body.length;
      this.ctx.traffic.messagesOut(group, topic, popped.length, bytes);
      finish(ok(), popped.map((p) => toV2Message(p.message, this.ctx.settings.advertisedAddress, p)));
    } catch (err) {
      const status = grpcStatus(err);
      if (status.code === Code.INTERNAL_SERVER_ERROR) this.ctx.log.error({ err, peer: call.getPeer() }, 'gRPC receive failed');
      if (!call.cancelled) finish(status);
    } finally {
      call.off('cancelled', onCancelled);
      waiting.delete(abort);
      if (waiting.size === 0 && this.waitingReceives.get(clientId) === waiting) this.waitingReceives.delete(clientId);
    }
  }

  /** Clients read only the top-level status, so a single entry's result is also the response's. */
  private async ackMessage(req: AckMessageRequest): Promise<Record<string, unknown>> {
    const group = resourceName(req.group, 'group');
    const topic = resourceName(req.topic);
    const entries = [];
    const errors: unknown[] = [];
    for (const e of req.entries) {
      try {
        await this.pops.ack(group, topic, e.receiptHandle);
        entries.push({ status: ok(), messageId: e.messageId, receiptHandle: e.receiptHandle });
      } catch (err) {
        errors.push(err);
        entries.push({ status: grpcStatus(err), messageId: e.messageId, receiptHandle: e.receiptHandle });
      }
    }
    const failed = errors.length > 0;
    if (failed && entries.length === 1) throw errors[0];
    return { entries, ...(failed ? { status: { code: Code.MULTIPLE_RESULTS, message: 'some entries failed' } } : {}) };
  }

  private async changeInvisibleDuration(req: ChangeInvisibleDurationRequest): Promise<Record<string, unknown>> {
    const group = resourceName(req.group, 'group');
    const topic = resourceName(req.topic);
    const ms = req.invisibleDuration ? toMillis(req.invisibleDuration) : -1;
    if (ms < 0) throw new BrokerError('illegal-invisible-time', `the invisibleTime is too small. min is 0 (got ${ms} ms)`);
    if (ms > MAX_INVISIBLE_MS) throw new BrokerError('illegal-invisible-time', `the invisibleTime is too large. max is ${MAX_INVISIBLE_MS} (got ${ms} ms)`);
    return { receiptHandle: this.pops.changeInvisibleDuration(group, topic, req.receiptHandle, ms) };
  }

  /**
   * Every Settings a client sends is answered at once (clients do not start until they have the answer); a
   * consumer learns there whether its group is FIFO. The stream stays open for the client's life: commands to
   * the client go down it, and its answers to them come up it.
   */
  private telemetry(call: TelemetryCall): void {
    const clientId = String(call.metadata.get('x-mq-client-id')[0] ?? '');
    call.on('data', (cmd: TelemetryCommand) => {
      if (cmd.command !== 'settings' || !cmd.settings) {
        this.sessions.answer(clientId, cmd);
        return;
      }
      try {
        call.write(this.answerSettings(clientId, call, cmd.settings));
      } catch (err) {
        call.write({ status: grpcStatus(err) });
      }
    });
    call.on('end', () => call.end());
    call.on('error', (err) => this.ctx.log.debug({ err, peer: call.getPeer() }, 'telemetry stream failed'));
  }

  private answerSettings(clientId: string, call: TelemetryCall, sent: ClientSettings): TelemetryCommand {
    if (!clientId) throw new BrokerError('client-id-required', 'the x-mq-client-id header is missing');
    if (sent.pubSub !== 'publishing' && sent.pubSub !== 'subscription') throw new BrokerError('bad-request', 'settings name neither publishing nor subscription');
    const group = sent.pubSub === 'subscription' ? resourceName(sent.subscription?.group as Resource | undefined, 'group') : undefined;
    this.sessions.settle(clientId, call, sent);
    return {
      status: ok(),
      settings: answerSettings(sent, {
        maxBodyBytes: this.ctx.settings.maxMessageSize,
        retryDelaysMs: this.settings.retryDelaysMs,
        ...this.deliveryPolicy(group),
      }),
    };
  }

  /**
   * What a group's subscription group config says of its deliveries, as pops apply it and consumers are told it;
   * the defaults for a group nobody declared (and for producers, which have none).
   */
  private deliveryPolicy(group: string | undefined): { maxDeliveryAttempts: number; fifo: boolean } {
    const config = group === undefined ? undefined : this.ctx.store.getSubscriptionGroup(group);
    return { maxDeliveryAttempts: (config?.retryMaxTimes ?? DEFAULT_MAX_RECONSUME_TIMES) + 1, fifo: config?.consumeMessageOrderly ?? false };
  }

  private async forwardToDeadLetterQueue(req: ForwardToDeadLetterQueueRequest): Promise<Record<string, unknown>> {
    await this.pops.forwardToDeadLetters(resourceName(req.group, 'group'), resourceName(req.topic), req.receiptHandle);
    return {};
  }
}
