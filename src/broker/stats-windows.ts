/** A cumulative counter: what was added up, and in how many additions (Apache's StatsItem value and times). */
export interface Tally {
  value: number;
  times: number;
}

/** One window of a counter as Apache RocketMQ's VIEW_BROKER_STATS_DATA reports it. */
export interface WindowStats {
  sum: number;
  /** sum per second over the window */
  tps: number;
  /** sum per addition */
  avgpt: number;
}

export interface CounterWindows {
  minute: WindowStats;
  hour: WindowStats;
  day: WindowStats;
}

interface Sample {
  at: number;
  totals: ReadonlyMap<string, Tally>;
}

/** Apache's StatsItem sampling: every 10 s kept for a minute, every 10 min for an hour, every hour for a day. */
const LEVELS = [
  { everyMs: 10_000, keep: 7 },
  { everyMs: 600_000, keep: 7 },
  { everyMs: 3_600_000, keep: 25 },
] as const;

/**
 * Windows of a minute, an hour and a day over cumulative counters, sampled as Apache RocketMQ samples its broker
 * stats; a window runs from its oldest sample to now, so what was just counted shows at once.
 */
export class StatsWindows {
  private readonly levels: Sample[][] = LEVELS.map(() => []);

  /** Takes the samples that are due; `totals` is only read when one is. */
  sample(now: number, totals: () => ReadonlyMap<string, Tally>): void {
    let current: ReadonlyMap<string, Tally> | undefined;
    LEVELS.forEach(({ everyMs, keep }, i) => {
      const samples = this.levels[i]!;
      const last = samples.at(-1);
      if (last && now - last.at < everyMs) return;
      current ??= new Map([...totals()].map(([k, t]) => [k, { ...t }]));
      samples.push({ at: now, totals: current });
      if (samples.length > keep) samples.shift();
    });
  }

  /** The windows of counter `key`, whose total is now `current`; a key unseen at a sample counted 0 then. */
  windows(key: string, current: Tally, now: number): CounterWindows {
    const [minute, hour, day] = this.levels.map((samples) => {
      const oldest = samples[0];
      if (!oldest) return { sum: 0, tps: 0, avgpt: 0 };
      const base = oldest.totals.get(key) ?? { value: 0, times: 0 };
      const sum = current.value - base.value;
      const times = current.times - base.times;
      return { sum, tps: now > oldest.at ? (sum * 1000) / (now - oldest.at) : 0, avgpt: times > 0 ? sum / times : 0 };
    });
    return { minute: minute!, hour: hour!, day: day! };
  }
}
