import rocketmq from 'rocketmq-client-nodejs';

/**
 * RocketMQ 5's Node client (gRPC). Its default logger writes to ~/logs/rocketmq; tests collect warnings and errors
 * in memory instead, so a failure can show what the client said.
 */
export const { Producer, SimpleConsumer, PushConsumer, ConsumeResult } = rocketmq;

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
