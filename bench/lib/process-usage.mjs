// CPU time and resident memory of server processes while a benchmark runs, read from /proc (Linux only).
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second for /proc/<pid>/stat; 100 on every Linux this runs on (getconf CLK_TCK). */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds of `pid` so far, or 0 when it is gone. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name, which may itself hold spaces: utime and stime are 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Starts sampling `pids` (a map of name to pid) every `intervalMs`; `stop()` returns each one's CPU seconds
 * used since the start and its peak RSS in MB, and the same summed over all of them under `total`.
 * @param {Record<string, number>} pids
 */
export function sampleProcesses(pids, intervalMs = 100) {
  const names = Object.keys(pids);
  const cpuAtStart = Object.fromEntries(names.map((n) => [n, cpuSeconds(pids[n])]));
  const peak = Object.fromEntries(names.map((n) => [n, rssBytes(pids[n])]));
  let peakTotal = names.reduce((s, n) => s + peak[n], 0);
  const timer = setInterval(() => {
    let sum = 0;
    for (const n of names) {
      const r = rssBytes(pids[n]);
      if (r > peak[n]) peak[n] = r;
      sum += r;
    }
    if (sum > peakTotal) peakTotal = sum;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const each = Object.fromEntries(names.map((n) => [n, {
        cpuSeconds: cpuSeconds(pids[n]) - cpuAtStart[n], peakRssMB: peak[n] / 1048576,
      }]));
      const total = { cpuSeconds: names.reduce((s, n) => s + each[n].cpuSeconds, 0), peakRssMB: peakTotal / 1048576 };
      return { ...each, total };
    },
  };
}
