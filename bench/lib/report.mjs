// The benchmark report: one Markdown table per workload with each target's figures, averaged over the rounds, and
// for each pair the ratio ours / peer of the figures measured in the same run.

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const defined = (xs) => xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–');
const ms = (x) => (Number.isFinite(x) ? (x < 10 ? fmt(x, 2) : x < 100 ? fmt(x, 1) : fmt(x, 0)) : '–');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–');

/** One target's figures for one workload, averaged over its rounds. */
function figures(runs, workload) {
  const pick = (f) => mean(defined(runs.map(f)));
  const msgPerSec = pick((r) => r.msgPerSec);
  const processed = runs.reduce((s, r) => s + (r.processed ?? r.messages), 0);
  return {
    rounds: runs.map((r) => r.msgPerSec),
    msgPerSec,
    MBps: (msgPerSec * workload.size) / 1e6,
    sendP50: pick((r) => r.send?.latencyMs?.p50), sendP99: pick((r) => r.send?.latencyMs?.p99), sendP999: pick((r) => r.send?.latencyMs?.p999),
    e2eP50: pick((r) => r.consume?.latencyMs?.p50), e2eP99: pick((r) => r.consume?.latencyMs?.p99),
    cpuPerMillion: (runs.reduce((s, r) => s + r.usage.total.cpuSeconds, 0) / processed) * 1e6,
    gatewayCpuPerMillion: runs[0]?.usage.gateway ? (runs.reduce((s, r) => s + r.usage.gateway.cpuSeconds, 0) / processed) * 1e6 : NaN,
    peakRssMB: Math.max(...runs.map((r) => r.usage.total.peakRssMB)),
  };
}

const HEADER = '| Target | msg/s (each round) | MB/s | send p50 / p99 / p999 ms | e2e p50 / p99 ms | server CPU s per M msg | server peak RSS MB |\n|---|---|---|---|---|---|---|';

function row(label, f) {
  const rounds = f.rounds.map((x) => fmt(x)).join(', ');
  const gateway = Number.isFinite(f.gatewayCpuPerMillion) && f.gatewayCpuPerMillion !== f.cpuPerMillion ? ` (gateway ${fmt(f.gatewayCpuPerMillion)})` : '';
  return `| ${label} | **${fmt(f.msgPerSec)}** (${rounds}) | ${fmt(f.MBps, 1)} | ${ms(f.sendP50)} / ${ms(f.sendP99)} / ${ms(f.sendP999)} | ${ms(f.e2eP50)} / ${ms(f.e2eP99)} | ${fmt(f.cpuPerMillion)}${gateway} | ${fmt(f.peakRssMB)} |`;
}

/**
 * @param {{at: string, seconds: number, scale: string, rounds: number, machine: Record<string, any>,
 *   tools: {remoting?: string, grpc?: string},
 *   targets: {name: string, label: string}[], pairs: {ours: string, peer: string, ratio: string}[],
 *   workloads: any[], results: any[], notes: string[], profiles?: any[]}} run
 */
export function renderReport(run) {
  const label = Object.fromEntries(run.targets.map((t) => [t.name, t.label]));
  const lines = [];
  const summary = [];
  lines.push(`# RoP benchmark (${run.scale})`, '');
  lines.push(`Run ${run.at} in ${Math.round(run.seconds)} s on ${run.machine.cpu}, ${run.machine.memoryGiB} GiB, Node ${run.machine.node}, ${run.machine.java}; everything on 127.0.0.1.`);
  const generators = [
    run.tools.remoting && `for the remoting (4.x protocol) targets, Apache RocketMQ's benchmark programs (rocketmq-example ${run.tools.remoting}, sync sends)`,
    run.tools.grpc && `for the gRPC targets, Apache's 5.x Java client (rocketmq-client-java ${run.tools.grpc}, plaintext, sync sends, PushConsumer)`,
  ].filter(Boolean);
  lines.push(`Load generator: ${generators.join('; ')}. ${run.rounds} round(s) per workload, the order of each pair alternating between rounds and workloads.`);
  lines.push('"server" is the target\'s own processes: the gateway; the broker and name server; the gateway and Pulsar; Pulsar; the proxy, broker and name server. The load generator is not counted. Their CPU includes what they spend idle in the background (JVM housekeeping) over the run, which dominates the per-message figure of slow runs (the 1-thread Pulsar ones).', '');
  for (const note of run.notes) lines.push(`> ${note}`, '');
  const sections = [];
  for (const w of run.workloads) {
    const of = (target) => run.results.filter((r) => r.workload === w.id && r.target === target);
    const count = w.kind === 'consume' ? `the backlog of ${w.from}` : `${fmt(w.messages[run.scale])} messages after ${fmt(w.warmup[run.scale])} warm-up`;
    sections.push(`## ${w.title}`, '', `\`${w.id}\`: ${count}.`, '', HEADER);
    const summaryCells = [];
    for (const pair of run.pairs) {
      const ours = of(pair.ours);
      const peer = of(pair.peer);
      if (!ours.length || !peer.length) {
        // A pair of the other protocol (or a target left out): its column of the summary stays aligned.
        summaryCells.push('–');
        continue;
      }
      const a = figures(ours, w);
      const b = figures(peer, w);
      sections.push(row(label[pair.ours], a), row(label[pair.peer], b));
      const each = ours.map((r, i) => (peer[i] ? ratio(r.msgPerSec, peer[i].msgPerSec) : '–')).join(', ');
      sections.push(`| **${pair.ratio}** | **${ratio(a.msgPerSec, b.msgPerSec)}** (${each}) | | ${ratio(a.sendP50, b.sendP50)} / ${ratio(a.sendP99, b.sendP99)} / ${ratio(a.sendP999, b.sendP999)} | ${ratio(a.e2eP50, b.e2eP50)} / ${ratio(a.e2eP99, b.e2eP99)} | ${ratio(a.cpuPerMillion, b.cpuPerMillion)} | ${ratio(a.peakRssMB, b.peakRssMB)} |`);
      summaryCells.push(`${ratio(a.msgPerSec, b.msgPerSec)} (${fmt(a.msgPerSec)} vs ${fmt(b.msgPerSec)})`);
    }
    sections.push('');
    summary.push(`| ${w.title} | ${summaryCells.join(' | ')} |`);
  }
  lines.push('## Throughput ratios', '', `| Workload | ${run.pairs.map((p) => p.ratio).join(' | ')} |`, `|---|${run.pairs.map(() => '---').join('|')}|`, ...summary, '');
  lines.push('Ratios above 1× mean ours is faster (msg/s) or, in the latency, CPU and RSS columns, higher. Send latency is per request (a batch is one request); e2e is consume time less the message\'s born time, measured while producing. A produce-and-consume workload\'s msg/s counts what was delivered: its messages over the time from the first measured send to the last receipt (at most the producer\'s rate), so a consumer that falls behind lowers it.', '');
  for (const p of run.profiles ?? []) {
    sections.push(`## CPU profile: ${p.label}`, '', `\`${p.file}\`: busy ${fmt(p.busyMs / 1000, 1)} s over the whole run (idle left out); self time by function:`, '',
      '| Self ms | Share of busy | Function | Where |', '|---|---|---|---|',
      ...p.top.map((t) => `| ${fmt(t.selfMs)} | ${(t.share * 100).toFixed(1)} % | \`${t.fn}\` | ${t.where} |`), '');
    if (p.lines?.length) {
      sections.push('Self time by line of the gateway\'s own code (compiled `dist/` lines):', '',
        '| Self ms | Share of busy | Function | Line |', '|---|---|---|---|',
        ...p.lines.map((t) => `| ${fmt(t.selfMs)} | ${(t.share * 100).toFixed(1)} % | \`${t.fn}\` | ${t.where} |`), '');
    }
  }
  return [...lines, ...sections].join('\n');
}
