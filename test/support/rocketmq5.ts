import rocketmq from 'rocketmq-client-nodejs';
import type { GatewayProcess } from './gateway.js';

/**
 * RocketMQ 5's Node client (gRPC). Its default logger writes to ~/logs/rocketmq; tests collect warnings and errors
 * in memory instead, so a failure can show what the client said.
 */
export const { Producer, SimpleConsumer, PushConsumer, ConsumeResult, FilterExpression } = rocketmq;

export interface ClientLog {
  lines: string[];
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
}

export function clientLog(): ClientLog {
  const lines: string[] = [];
  const keep = (level: string) => (...args: unknown[]) => {
    lines.push(`${level} ${args.map(String).join(' ')}`);
  };
  return { lines, info: () => undefined, debug: () => undefined, warn: keep('warn'), error: keep('error') };
}

type ProducerOptions = ConstructorParameters<typeof Producer>[0];
type SimpleConsumerOptions = ConstructorParameters<typeof SimpleConsumer>[0];
type PushConsumerOptions = ConstructorParameters<typeof PushConsumer>[0];

/**
 * The Node 5.x clients of one test, all against one gateway with the settings tests use (no namespace, short
 * timeouts, an in-memory log). When the test ends, every client made here is shut down, then the gateway is
 * stopped and its data removed.
 */
export class Rocketmq5Clients {
  private readonly clients: Array<{ shutdown(): Promise<void> }> = [];

  constructor(private readonly gw: GatewayProcess, t: { after(fn: () => Promise<void>): void }) {
    t.after(() => this.close());
  }

  producer(topics: string[], more: Partial<ProducerOptions> = {}): InstanceType<typeof Producer> {
    return this.keep(new Producer({ endpoints: this.gw.grpcAddress!, namespace: '', topics, requestTimeout: 5000, logger: clientLog(), ...more }));
  }

  simpleConsumer(group: string, topic: string, more: Partial<SimpleConsumerOptions> & { filter?: string | InstanceType<typeof FilterExpression> } = {}): InstanceType<typeof SimpleConsumer> {
    const { filter = '*', ...rest } = more;
    return this.keep(new SimpleConsumer({
      endpoints: this.gw.grpcAddress!, namespace: '', consumerGroup: group, subscriptions: new Map([[topic, filter]]),
      awaitDuration: 1000, requestTimeout: 3000, logger: clientLog(), ...rest,
    }));
  }

  pushConsumer(group: string, topic: string, messageListener: PushConsumerOptions['messageListener']): InstanceType<typeof PushConsumer> {
    return this.keep(new PushConsumer({
      endpoints: this.gw.grpcAddress!, namespace: '', consumerGroup: group, subscriptions: new Map([[topic, '*']]), requestTimeout: 3000, logger: clientLog(), messageListener,
    }));
  }

  private keep<C extends { shutdown(): Promise<void> }>(client: C): C {
    this.clients.push(client);
    return client;
  }

  private async close(): Promise<void> {
    for (const c of this.clients) await c.shutdown().catch(() => undefined);
    await this.gw.stop();
    this.gw.cleanup();
  }
}
