import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs, one line per event, on stdout. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { name: 'rop' }, timestamp: pino.stdTimeFunctions.isoTime });
}
