import { Prop } from '../protocol/message-properties.js';

/** Apache RocketMQ's default `messageDelayLevel`: level n (from 1) waits the n-th of these. */
export const DEFAULT_DELAY_LEVELS = '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a `messageDelayLevel` string ("1s 5s 10s 1m …", also ms/h/d) into milliseconds per level. */
export function parseDelayLevels(spec: string): number[] {
  const levels = spec.trim().split(/\s+/).map((item) => {
    const m = /^(\d+)(ms|s|m|h|d)$/.exec(item);
    if (!m) throw new Error(`delay level ${JSON.stringify(item)} is not a number followed by ms, s, m, h or d`);
    return Number(m[1]) * UNIT_MS[m[2]!]!;
  });
  if (levels.length === 0 || levels.length > 64) throw new Error('between 1 and 64 delay levels are needed');
  return levels;
}

/** The level a timed message waits in next: the longest that does not overshoot, else the shortest. */
export function levelFor(remainingMs: number, levelsMs: readonly number[]): number {
  let best = -1;
  levelsMs.forEach((ms, i) => {
    if (ms <= remainingMs && (best < 0 || ms > levelsMs[best]!)) best = i;
  });
  if (best >= 0) return best;
  return levelsMs.indexOf(Math.min(...levelsMs));
}

/** When a message asks to be delivered (RocketMQ 5 timer properties), in epoch ms; undefined when it does not. */
export function requestedDeliveryTime(properties: ReadonlyMap<string, string>, now: number): number | undefined {
  const at = Number(properties.get(Prop.TIMER_DELIVER_MS));
  if (at > 0) return at;
  const sec = Number(properties.get(Prop.TIMER_DELAY_SEC));
  if (sec > 0) return now + sec * 1000;
  const ms = Number(properties.get(Prop.TIMER_DELAY_MS));
  if (ms > 0) return now + ms;
  return undefined;
}

/** Levels in `messageDelayLevel` form, each in the largest unit that states it exactly. */
export function formatDelayLevels(levelsMs: readonly number[]): string {
  const units = Object.entries(UNIT_MS).sort(([, a], [, b]) => b - a);
  return levelsMs.map((ms) => {
    const [unit, size] = units.find(([, size]) => ms % size === 0 && ms > 0) ?? ['ms', 1];
    return `${ms / size}${unit}`;
  }).join(' ');
}
