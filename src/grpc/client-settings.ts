import { duration } from './v2-types.js';

/** The Settings a client sends on its Telemetry stream, in the fields the gateway answers to. */
export interface ClientSettings {
  clientType?: string;
  accessPoint?: unknown;
  requestTimeout?: unknown;
  userAgent?: unknown;
  pubSub?: 'publishing' | 'subscription';
  publishing?: { topics?: unknown[]; maxBodySize?: number; validateMessageType?: boolean } | null;
  subscription?: { group?: unknown; subscriptions?: unknown[]; fifo?: boolean; receiveBatchSize?: number; longPollingTimeout?: unknown } | null;
  [field: string]: unknown;
}

export interface ServerPolicy {
  maxBodyBytes: number;
  /** RocketMQ's delay levels in ms: a consumer retries after them, as 4.x retries do */
  retryDelaysMs: number[];
  maxDeliveryAttempts: number;
  /** whether a consumer's group takes its messages in order (its subscription group's consumeMessageOrderly) */
  fifo: boolean;
}

/**
 * The Settings the gateway answers a client's with: what the client sent, completed with the server's side.
 * Clients wait for this answer before they start, and take the back-off policy, the largest body and (consumers)
 * the batch size and long-polling timeout from it; a producer without an exponential back-off fails to start.
 */
export function answerSettings(sent: ClientSettings, policy: ServerPolicy): ClientSettings {
  const answer: ClientSettings = { ...sent, metric: { on: false } };
  if (sent.pubSub === 'publishing') {
    answer.backoffPolicy = { maxAttempts: 3, exponentialBackoff: { initial: duration(10), max: duration(1000), multiplier: 2 } };
    answer.publishing = { ...sent.publishing, maxBodySize: policy.maxBodyBytes, validateMessageType: true };
  } else if (sent.pubSub === 'subscription') {
    const delays = policy.retryDelaysMs;
    // A FIFO consumer retries a failed message itself, waiting as the policy says; the Node client reads only an
    // exponential policy (without one it allows a single attempt), so FIFO groups get the delay levels' range as one.
    answer.backoffPolicy = policy.fifo
      ? { maxAttempts: policy.maxDeliveryAttempts, exponentialBackoff: { initial: duration(delays[0] ?? 1000), max: duration(delays.at(-1) ?? 1000), multiplier: 2 } }
      : { maxAttempts: policy.maxDeliveryAttempts, customizedBackoff: { next: delays.map(duration) } };
    // A push consumer keeps one receive open at a time, so its batch bounds what it takes per round trip: at 32 it
    // fell seconds behind 16 producing threads on this machine (bench grpc-produce-consume-1k-16t), at 128 it keeps up.
    answer.subscription = { ...sent.subscription, fifo: policy.fifo, receiveBatchSize: 128, longPollingTimeout: duration(20_000) };
  }
  return answer;
}
