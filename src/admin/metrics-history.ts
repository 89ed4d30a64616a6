import type { TrafficStats } from '../broker/traffic-stats.js';
import type { Logger } from '../logger.js';

/** One point every 10 s for an hour: what the dashboard's charts show. */
export const HISTORY_STEP_MS = 10_000;
export const HISTORY_POINTS = 360;
/**
 * Series kept at most (a topic's in and out rates are two, a group's out rate and lag two): 4096 take about 12 MB.
 * Past it new topics and groups are not charted, and their history answers say so.
 */
export const MAX_HISTORY_SERIES = 4096;
/** The step in progress is shown once it is this old: a rate over less would swing wildly. */
const MIN_LIVE_MS = 1000;

/** What the history samples: the gateway's traffic counters, and each consumer group's lag. */
export interface HistorySources {
  traffic: TrafficStats;
  /** every consumer group with its lag summed over its queues; `system` marks the gateway's own cursors */
  groupLags(): Promise<Array<{ group: string; lag: number; system: boolean }>>;
  log: Logger;
  now?: () => number;
}

export type SeriesName = 'in' | 'out' | 'lag';

/** Points of one chart: sample times and, per series, one value per time (null where nothing was recorded). */
export interface History {
  stepMs: number;
  times: number[];
  series: Partial<Record<SeriesName, Array<number | null>>>;
  /** the series limit was reached before this topic or group was first seen: its history is not kept */
  capped: boolean;
}

interface Totals {
  topicIn: Map<string, number>;
  topicOut: Map<string, number>;
  groupOut: Map<string, number>;
}

const keyOf = (kind: 'topic-in' | 'topic-out' | 'group-out' | 'group-lag', name: string) => `${kind}\u0000${name}`;

/**
 * The last hour of message rates per topic and consumer group, lag per group and their cluster totals, in memory at
 * a fixed resolution: one ring of HISTORY_POINTS values per series, all rings sharing one timeline. Rates are
 * messages per second over each step, from the cumulative counters of TrafficStats; lag is as sampled at each step.
 * Answers end with a point for the step in progress (rates so far, lag now), so new traffic shows at once.
 */
export class MetricsHistory {
  private readonly times = new Float64Array(HISTORY_POINTS).fill(Number.NaN);
  private readonly rings = new Map<string, Float64Array>();
  private samples = 0;
  private last: { at: number; totals: Totals };
  private lagsPending = false;
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly src: HistorySources) {
    this.now = src.now ?? Date.now;
    this.last = { at: this.now(), totals: this.totals() };
    this.timer = setInterval(() => this.sample(), HISTORY_STEP_MS);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Cluster totals: messages in and out per second, and the lag of the clients' groups. */
  async cluster(): Promise<History> {
    const lags = await this.src.groupLags();
    const lag = lags.reduce((n, g) => n + (g.system ? 0 : g.lag), 0);
    const sum = (prefix: string) => this.sumRings(prefix);
    const live = this.liveRates();
    return this.answer({
      in: [sum('topic-in\u0000'), sumOf(live.topicIn)],
      out: [sum('topic-out\u0000'), sumOf(live.topicOut)],
      lag: [this.sumRings('group-lag\u0000', (key) => !key.slice('group-lag\u0000'.length).startsWith('%')), lag],
    }, false);
  }

  topic(topic: string): Promise<History> {
    const live = this.liveRates();
    return Promise.resolve(this.answer({
      in: [this.ring('topic-in', topic), live.topicIn.get(topic) ?? 0],
      out: [this.ring('topic-out', topic), live.topicOut.get(topic) ?? 0],
    }, this.isCapped('topic-in', topic)));
  }

  async group(group: string): Promise<History> {
    const live = this.liveRates();
    const lag = (await this.src.groupLags()).find((g) => g.group === group)?.lag ?? null;
    return this.answer({
      out: [this.ring('group-out', group), live.groupOut.get(group) ?? 0],
      lag: [this.ring('group-lag', group, Number.NaN), lag],
    }, this.isCapped('group-lag', group));
  }

  /** Takes the step's sample: rates from the counters at once, lags when they have been read. */
  sample(): void {
    const at = this.now();
    const slot = this.samples % HISTORY_POINTS;
    this.samples++;
    this.times[slot] = at;
    for (const ring of this.rings.values()) ring[slot] = Number.NaN;
    const totals = this.totals();
    const seconds = Math.max(1, at - this.last.at) / 1000;
    const record = (kind: 'topic-in' | 'topic-out' | 'group-out', now: Map<string, number>, then: Map<string, number>) => {
      for (const [name, total] of now) this.put(keyOf(kind, name), slot, (total - (then.get(name) ?? 0)) / seconds);
    };
    record('topic-in', totals.topicIn, this.last.totals.topicIn);
    record('topic-out', totals.topicOut, this.last.totals.topicOut);
    record('group-out', totals.groupOut, this.last.totals.groupOut);
    this.last = { at, totals };
    this.dropIdle();
    // A slow store must not stack lag reads up: a step whose read is still running skips its own.
    if (this.lagsPending) return;
    this.lagsPending = true;
    this.src.groupLags()
      .then((lags) => {
        if (this.times[slot] !== at) return;
        for (const g of lags) this.put(keyOf('group-lag', g.group), slot, g.lag, Number.NaN);
      })
      .catch((err: unknown) => this.src.log.warn({ err }, 'group lags not sampled for the dashboard history'))
      .finally(() => { this.lagsPending = false; });
  }

  private totals(): Totals {
    const topicIn = new Map<string, number>();
    for (const [topic, c] of this.src.traffic.topicsIn()) topicIn.set(topic, c.messages);
    const topicOut = new Map<string, number>();
    const groupOut = new Map<string, number>();
    for (const c of this.src.traffic.groupsOut()) {
      topicOut.set(c.topic, (topicOut.get(c.topic) ?? 0) + c.messages);
      groupOut.set(c.group, (groupOut.get(c.group) ?? 0) + c.messages);
    }
    return { topicIn, topicOut, groupOut };
  }

  /** Per second since the last sample, for the point of the step in progress. */
  private liveRates(): Totals {
    const seconds = Math.max(MIN_LIVE_MS, this.now() - this.last.at) / 1000;
    const rate = (now: Map<string, number>, then: Map<string, number>) =>
      new Map([...now].map(([name, total]) => [name, (total - (then.get(name) ?? 0)) / seconds] as const));
    const totals = this.totals();
    return {
      topicIn: rate(totals.topicIn, this.last.totals.topicIn),
      topicOut: rate(totals.topicOut, this.last.totals.topicOut),
      groupOut: rate(totals.groupOut, this.last.totals.groupOut),
    };
  }

  /**
   * Rates are counted from the gateway's start, so a series that was never created was 0 at every sample; a ring
   * is only created for a non-zero value (or any lag), and dropped once its whole window is back to that default.
   */
  private put(key: string, slot: number, value: number, absent = 0): void {
    let ring = this.rings.get(key);
    if (!ring) {
      if (value === absent || this.rings.size >= MAX_HISTORY_SERIES) return;
      this.rings.set(key, (ring = new Float64Array(HISTORY_POINTS).fill(absent)));
      ring[slot] = value;
      return;
    }
    ring[slot] = value;
  }

  private dropIdle(): void {
    for (const [key, ring] of this.rings) {
      const absent = key.startsWith('group-lag') ? Number.NaN : 0;
      if (ring.every((v) => Object.is(v, absent) || Number.isNaN(v))) this.rings.delete(key);
    }
  }

  private isCapped(kind: 'topic-in' | 'group-lag', name: string): boolean {
    return this.rings.size >= MAX_HISTORY_SERIES && !this.rings.has(keyOf(kind, name));
  }

  private ring(kind: 'topic-in' | 'topic-out' | 'group-out' | 'group-lag', name: string, absent = 0): Float64Array {
    return this.rings.get(keyOf(kind, name)) ?? new Float64Array(HISTORY_POINTS).fill(absent);
  }

  private sumRings(prefix: string, include: (key: string) => boolean = () => true): Float64Array {
    const sum = new Float64Array(HISTORY_POINTS).fill(0);
    for (const [key, ring] of this.rings) {
      if (!key.startsWith(prefix) || !include(key)) continue;
      ring.forEach((v, i) => { if (!Number.isNaN(v)) sum[i] += v; });
    }
    return sum;
  }

  /** Rings in time order, oldest first, with the live point at the end. */
  private answer(series: Partial<Record<SeriesName, [Float64Array, number | null]>>, capped: boolean): History {
    const count = Math.min(this.samples, HISTORY_POINTS);
    const first = this.samples - count;
    const order = Array.from({ length: count }, (_, i) => (first + i) % HISTORY_POINTS);
    const now = this.now();
    // Right after a sample the step in progress has nothing to say yet.
    const withLive = now - this.last.at >= MIN_LIVE_MS;
    const times = [...order.map((slot) => this.times[slot]!), ...(withLive ? [now] : [])];
    const out: History['series'] = {};
    for (const [name, [ring, live]] of Object.entries(series) as Array<[SeriesName, [Float64Array, number | null]]>) {
      const values = order.map((slot) => (Number.isNaN(ring[slot]) ? null : round(ring[slot]!)));
      if (withLive) values.push(live === null ? null : round(live));
      out[name] = values;
    }
    return { stepMs: HISTORY_STEP_MS, times, series: out, capped };
  }
}

const sumOf = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
/** Three decimals are plenty for a chart and keep the JSON short. */
const round = (v: number): number => Math.round(v * 1000) / 1000;
