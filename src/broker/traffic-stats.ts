import { StatsWindows, type CounterWindows, type Tally } from './stats-windows.js';

/** Messages and bytes moved, cumulative since the gateway started. */
export interface TrafficCount {
  messages: number;
  bytes: number;
}

export interface GroupTraffic extends TrafficCount {
  group: string;
  topic: string;
}

/** A count with the number of requests that added to it, for Apache's per-request averages. */
interface Counted extends TrafficCount {
  calls: number;
}

/** Apache RocketMQ's broker stats items that these counters answer for (VIEW_BROKER_STATS_DATA's statsName). */
export const STATS_ITEMS = ['TOPIC_PUT_NUMS', 'TOPIC_PUT_SIZE', 'GROUP_GET_NUMS', 'GROUP_GET_SIZE', 'BROKER_PUT_NUMS', 'BROKER_GET_NUMS'] as const;
export type StatsItem = (typeof STATS_ITEMS)[number];

/** How often totals are sampled for rates, and the windows rates are given over (Apache RocketMQ's three). */
const SAMPLE_MS = 2000;
export const RATE_WINDOWS_MS = [10_000, 60_000, 600_000] as const;

interface Sample {
  at: number;
  putTotal: number;
  getTotal: number;
}

/**
 * What the broker moved: per topic in, per group and topic out, with rates over recent windows. The hot
 * paths only add to counters; rates come from totals sampled every two seconds.
 */
export class TrafficStats {
  private readonly inByTopic = new Map<string, Counted>();
  private readonly outByGroupTopic = new Map<string, GroupTraffic & Counted>();
  private putTotal = 0;
  private getTotal = 0;
  private putCalls = 0;
  private getCalls = 0;
  private readonly windows = new StatsWindows();
  private samples: Sample[] = [];
  /** per-topic totals as of the oldest sample in the shortest window, for per-topic rates */
  private topicBase: { at: number; inByTopic: Map<string, TrafficCount>; outByGroupTopic: Map<string, TrafficCount> }[] = [];
  /** totals at the last two local midnights passed while running, for mqadmin's "today" and "yesterday" */
  private readonly midnights: Array<{ put: number; get: number }> = [];
  private lastSampleDay: number;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.lastSampleDay = new Date(now()).getDate();
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Messages a client sent that the store accepted. */
  messagesIn(topic: string, messages: number, bytes: number): void {
    let c = this.inByTopic.get(topic);
    if (!c) this.inByTopic.set(topic, (c = { messages: 0, bytes: 0, calls: 0 }));
    c.messages += messages;
    c.bytes += bytes;
    c.calls++;
    this.putTotal += messages;
    this.putCalls++;
  }

  /** Messages a pull handed to a consumer group. */
  messagesOut(group: string, topic: string, messages: number, bytes: number): void {
    const key = `${group}\u0000${topic}`;
    let c = this.outByGroupTopic.get(key);
    if (!c) this.outByGroupTopic.set(key, (c = { group, topic, messages: 0, bytes: 0, calls: 0 }));
    c.messages += messages;
    c.bytes += bytes;
    c.calls++;
    this.getTotal += messages;
    this.getCalls++;
  }

  topicsIn(): ReadonlyMap<string, Readonly<TrafficCount>> {
    return this.inByTopic;
  }

  groupsOut(): Iterable<Readonly<GroupTraffic>> {
    return this.outByGroupTopic.values();
  }

  /** Messages per second in (put) and out (get) over each of RATE_WINDOWS_MS. */
  brokerRates(): { put: number[]; get: number[] } {
    const now = this.now();
    const current = { at: now, putTotal: this.putTotal, getTotal: this.getTotal };
    const rate = (windowMs: number, field: 'putTotal' | 'getTotal'): number => {
      const from = this.samples.find((s) => s.at >= now - windowMs) ?? current;
      const seconds = (now - from.at) / 1000;
      return seconds > 0 ? (current[field] - from[field]) / seconds : 0;
    };
    return { put: RATE_WINDOWS_MS.map((w) => rate(w, 'putTotal')), get: RATE_WINDOWS_MS.map((w) => rate(w, 'getTotal')) };
  }

  /** Per topic messages and bytes per second in, and per group and topic out, over the shortest window. */
  recentRates(): { in: Map<string, TrafficCount>; out: GroupTraffic[] } {
    const base = this.topicBase[0]!;
    const seconds = Math.max(1, this.now() - base.at) / 1000;
    const perSecond = (c: TrafficCount, then: TrafficCount | undefined): TrafficCount =>
      ({ messages: (c.messages - (then?.messages ?? 0)) / seconds, bytes: (c.bytes - (then?.bytes ?? 0)) / seconds });
    const inRates = new Map<string, TrafficCount>();
    for (const [topic, c] of this.inByTopic) inRates.set(topic, perSecond(c, base.inByTopic.get(topic)));
    const out = [...this.outByGroupTopic].map(([key, c]) => ({ group: c.group, topic: c.topic, ...perSecond(c, base.outByGroupTopic.get(key)) }));
    return { in: inRates, out };
  }

  /** Totals at the last two local midnights (0 before the gateway ran through one), and now. */
  dailyTotals(): { putYesterdayMorning: number; putTodayMorning: number; putNow: number; getYesterdayMorning: number; getTodayMorning: number; getNow: number } {
    const today = this.midnights.at(-1) ?? { put: 0, get: 0 };
    const yesterday = this.midnights.at(-2) ?? { put: 0, get: 0 };
    return { putYesterdayMorning: yesterday.put, putTodayMorning: today.put, putNow: this.putTotal, getYesterdayMorning: yesterday.get, getTodayMorning: today.get, getNow: this.getTotal };
  }

  /**
   * One of Apache's stats items over the last minute, hour and day: `key` is the topic (TOPIC_*), `topic@group`
   * (GROUP_*) or ignored (BROKER_*); undefined when nothing was counted under it since the gateway started.
   */
  statsWindows(item: StatsItem, key: string): CounterWindows | undefined {
    const current = this.tally(item, key);
    return current && this.windows.windows(`${item}@${key}`, current, this.now());
  }

  private tally(item: StatsItem, key: string): Tally | undefined {
    if (item === 'BROKER_PUT_NUMS') return { value: this.putTotal, times: this.putCalls };
    if (item === 'BROKER_GET_NUMS') return { value: this.getTotal, times: this.getCalls };
    const c = item.startsWith('TOPIC_') ? this.inByTopic.get(key) : this.groupOut(key);
    if (!c) return undefined;
    return { value: item.endsWith('_NUMS') ? c.messages : c.bytes, times: c.calls };
  }

  /** `topic@group`, split at the last @ as neither topics nor groups contain one. */
  private groupOut(key: string): Counted | undefined {
    const at = key.lastIndexOf('@');
    return at < 0 ? undefined : this.outByGroupTopic.get(`${key.slice(at + 1)}\u0000${key.slice(0, at)}`);
  }

  private tallies(): Map<string, Tally> {
    const all = new Map<string, Tally>();
    for (const item of STATS_ITEMS) {
      const keys = item.startsWith('TOPIC_') ? this.inByTopic.keys() : item.startsWith('GROUP_') ? [...this.outByGroupTopic.values()].map((c) => `${c.topic}@${c.group}`) : [''];
      for (const key of keys) all.set(`${item}@${key}`, this.tally(item, key)!);
    }
    return all;
  }

  private sample(): void {
    const at = this.now();
    this.windows.sample(at, () => this.tallies());
    const day = new Date(at).getDate();
    if (day !== this.lastSampleDay) {
      this.lastSampleDay = day;
      this.midnights.push({ put: this.putTotal, get: this.getTotal });
      if (this.midnights.length > 2) this.midnights.shift();
    }
    this.samples.push({ at, putTotal: this.putTotal, getTotal: this.getTotal });
    while (this.samples.length > 1 && this.samples[0]!.at < at - RATE_WINDOWS_MS[2]) this.samples.shift();
    this.topicBase.push({
      at,
      inByTopic: new Map([...this.inByTopic].map(([k, c]) => [k, { messages: c.messages, bytes: c.bytes }])),
      outByGroupTopic: new Map([...this.outByGroupTopic].map(([k, c]) => [k, { messages: c.messages, bytes: c.bytes }])),
    });
    while (this.topicBase.length > 1 && this.topicBase[1]!.at <= at - RATE_WINDOWS_MS[0]) this.topicBase.shift();
  }
}
