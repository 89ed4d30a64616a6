import { BrokerError, type ErrorKind } from '../errors/broker-error.js';
import type { RemotingConnection } from '../remoting/remoting-connection.js';
import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { decodeHeader, type Header } from '../protocol/request-header.js';
import { PullMessageHeader } from '../protocol/request-headers.js';
import { encodeStoredMessage } from '../protocol/message-codec.js';
import { ResponseCode } from '../protocol/request-code.js';
import { EVERYTHING, isTagType, requireServed, servedSubscription, SubscriptionError, type Subscription } from '../protocol/subscription.js';
import { Perm } from '../protocol/bodies.js';
import type { ReadResult } from '../store/message-store.js';
import type { BrokerContext } from './broker-context.js';
import type { ConsumerRegistry } from './consumer-registry.js';
import type { LongPolls } from './long-polls.js';

/** Bits of PullMessageRequestHeader.sysFlag (Apache RocketMQ's PullSysFlag). */
const PullFlag = { COMMIT_OFFSET: 0x1, SUSPEND: 0x2, SUBSCRIPTION: 0x4, CLASS_FILTER: 0x8 } as const;

interface PullRequest {
  group: string;
  topic: string;
  queueId: number;
  offset: number;
  maxMessages: number;
  subscription: Subscription;
}

/** PULL_MESSAGE, with broker-side tag filtering and long polling. */
export class PullMessageProcessor {
  constructor(
    private readonly ctx: BrokerContext,
    private readonly consumers: ConsumerRegistry,
    private readonly polls: LongPolls,
  ) {}

  readonly process = async (req: RemotingCommand, conn: RemotingConnection): Promise<RemotingCommand | null> => {
    // A pull that arrives while the gateway stops could be cut off unanswered when the connection closes,
    // and the client would wait out its timeout (30 s); refused, it retries in a few seconds.
    if (this.polls.stopping) throw stopping();
    this.ctx.fastFailure.admit('remoting');
    const h = decodeHeader(PullMessageHeader, req.extFields);
    const group = h.consumerGroup;
    const topicName = h.topic;
    const queueId = h.queueId;
    const offset = h.queueOffset;
    const sysFlag = h.sysFlag ?? 0;
    const topic = topicName.startsWith('%RETRY%') ? await this.ctx.topicOrCreate(topicName) : this.ctx.existingTopic(topicName);
    if (!(topic.perm & Perm.READ)) throw new BrokerError('forbidden', `topic ${topicName} is not readable`);
    if (queueId < 0 || queueId >= topic.readQueueNums) {
      throw new BrokerError('illegal-queue', `queueId ${queueId} is illegal: topic ${topicName} has ${topic.readQueueNums} read queues`);
    }
    const pull: PullRequest = {
      group,
      topic: topicName,
      queueId,
      offset,
      maxMessages: Math.max(1, Math.min(h.maxMsgNums ?? 32, this.ctx.settings.maxPullMessages)),
      subscription: this.subscriptionOf(h, sysFlag, group, topicName, req.language),
    };
    if (sysFlag & PullFlag.COMMIT_OFFSET) {
      const commitOffset = h.commitOffset ?? -1;
      if (commitOffset >= 0) await this.ctx.store.commitOffset(group, topicName, queueId, commitOffset);
    }
    let answer = await this.attempt(req, pull);
    if (answer.code === ResponseCode.PULL_NOT_FOUND && sysFlag & PullFlag.SUSPEND) {
      const asked = h.suspendTimeoutMillis ?? 15_000;
      const holdMs = Math.max(0, Math.min(asked, this.ctx.settings.maxPullHoldMs));
      await this.polls.untilQueueGrows(topicName, queueId, holdMs, async () => (await this.ctx.store.maxOffset(topicName, queueId)) <= offset);
      // A client gone while its pull was held gets nothing read for it (nor counted as handed out).
      if (conn.isClosed) return null;
      answer = await this.attempt(req, pull);
    }
    // While stopping, "nothing new" would make the client pull again at once, and that pull could be cut
    // off unanswered; an error makes it wait a few seconds instead, by when a restarted gateway is back.
    if (answer.code === ResponseCode.PULL_NOT_FOUND && this.polls.stopping) throw stopping();
    return answer;
  };

  /**
   * The pull's own subscription (lite pull consumers send it each time) or the one the group's heartbeat
   * registered (push consumers), answered as Apache RocketMQ answers each case so a filter is never dropped.
   */
  private subscriptionOf(h: Header<typeof PullMessageHeader['fields']>, sysFlag: number, group: string, topic: string, language: string): Subscription {
    const propertyFilter = this.ctx.settings.enablePropertyFilter;
    if (sysFlag & PullFlag.SUBSCRIPTION) {
      try {
        return servedSubscription(h.expressionType, h.subscription, propertyFilter);
      } catch (err) {
        throw refusal(err, 'illegal-filter');
      }
    }
    const registered = this.consumers.subscription(group, topic);
    if (registered === undefined) {
      // Until the group's next heartbeat (after a gateway restart, up to 30 s), a pull that says it is of a TAG
      // subscription gets everything and its client filters the tags, rather than waiting; anything else is refused
      // as Apache refuses it, since no client filters SQL92 itself. The Go client says TAG whatever it subscribed.
      if (language !== 'GO' && isTagType(h.expressionType)) return EVERYTHING;
      throw new BrokerError('subscription-not-found', `the consumer's subscription of ${topic} does not exist in group ${group}; it is registered by a heartbeat`);
    }
    try {
      if (registered instanceof SubscriptionError) throw registered;
      return requireServed(registered, propertyFilter);
    } catch (err) {
      throw refusal(err, 'registered-filter-invalid');
    }
  }

  private async attempt(req: RemotingCommand, pull: PullRequest): Promise<RemotingCommand> {
    const s = this.ctx.settings;
    const result = await this.ctx.store.read(pull.topic, pull.queueId, pull.offset, pull.maxMessages, s.maxPullBytes);
    const header = (r: ReadResult): Record<string, string> => ({
      suggestWhichBrokerId: '0',
      nextBeginOffset: String(r.nextOffset),
      minOffset: String(r.minOffset),
      maxOffset: String(r.maxOffset),
    });
    switch (result.status) {
      case 'FOUND': {
        const matched = result.messages.filter((m) => pull.subscription.matches(m.properties));
        if (matched.length === 0) return createResponse(req, ResponseCode.PULL_RETRY_IMMEDIATELY, 'no message matched the subscription', header(result));
        const body = Buffer.concat(
          matched.map((m) => encodeStoredMessage(m, s.advertisedAddress)),
        );
        this.ctx.traffic.messagesOut(pull.group, pull.topic, matched.length, body.length);
        return createResponse(req, ResponseCode.SUCCESS, undefined, header(result), body);
      }
      case 'NO_MESSAGE_IN_QUEUE':
        return createResponse(req, pull.offset !== 0 ? ResponseCode.PULL_OFFSET_MOVED : ResponseCode.PULL_NOT_FOUND, 'no message in queue', header(result));
      case 'OFFSET_OVERFLOW_ONE':
        return createResponse(req, ResponseCode.PULL_NOT_FOUND, 'no new message', header(result));
      case 'OFFSET_OVERFLOW_BADLY':
      case 'OFFSET_TOO_SMALL':
        return createResponse(req, ResponseCode.PULL_OFFSET_MOVED, `offset ${pull.offset} is outside [${result.minOffset}, ${result.maxOffset}]`, header(result));
    }
  }
}

/** An expression that does not compile is `invalidKind`; a type or filter not served is told apart, as Apache RocketMQ answers it. */
function refusal(err: unknown, invalidKind: ErrorKind): unknown {
  if (!(err instanceof SubscriptionError)) return err;
  return new BrokerError(err.kind === 'invalid' ? invalidKind : 'unsupported-filter', err.message);
}

const stopping = (): BrokerError => new BrokerError('unavailable', 'the gateway is shutting down; pull again later');
