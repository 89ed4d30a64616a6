import uPlot from './vendor/uplot/uPlot.esm.js';
import { formatRate } from './format.js';

// Line charts of the gateway's history (GET /api/history): one per container, updated in place on every poll.

/** What each series of the history is called on a chart, its color and its axis. */
const SERIES = {
  in: { label: 'Produced/s', stroke: '#1f77b4', scale: 'rate' },
  // dashed, so that a produced line of the very same values still shows through
  out: { label: 'Consumed/s', stroke: '#2ca02c', scale: 'rate', dash: [8, 6] },
  lag: { label: 'Lag', stroke: '#d62728', scale: 'lag' },
};

const HEIGHT = 180;

/** uPlot charts by container; the names of the series each draws. */
const charts = new WeakMap();

/**
 * Draws `history` into `container` (created once, then given new data). The container also says in words what the
 * chart shows (its aria-label and data-* attributes: points and peak of each series), for readers and tests alike.
 */
export function drawHistory(container, history) {
  const names = Object.keys(SERIES).filter((name) => history.series[name] !== undefined);
  // A gateway just started has one point: an empty step before it gives the x axis a span (else uPlot spans years).
  const lone = history.times.length === 1;
  const times = lone ? [history.times[0] - history.stepMs, history.times[0]] : history.times;
  const data = [times.map((t) => t / 1000), ...names.map((name) => (lone ? [null, ...history.series[name]] : history.series[name]))];
  let entry = charts.get(container);
  if (!entry || entry.names.join() !== names.join()) {
    entry?.plot.destroy();
    container.replaceChildren();
    const plot = new uPlot(options(container, names), data, container);
    entry = { plot, names };
    charts.set(container, entry);
  } else {
    entry.plot.setData(data);
  }
  const summary = [];
  for (const name of names) {
    const values = history.series[name].filter((v) => v !== null);
    const peak = values.length === 0 ? 0 : Math.max(...values);
    container.dataset[`${name}Points`] = String(values.length);
    container.dataset[`${name}Peak`] = String(peak);
    container.dataset[`${name}Last`] = String(history.series[name].at(-1) ?? '');
    summary.push(`${SERIES[name].label.replace('/s', ' per second')} peak ${name === 'lag' ? peak : formatRate(peak)}`);
  }
  container.setAttribute('aria-label', `Last hour: ${summary.join(', ')}`);
  if (history.capped) container.dataset.capped = 'true';
}

/** Lines need two points: until then each value shows as a dot. */
const fewPoints = (u) => u.data[0].length < 3;

function options(container, names) {
  const width = Math.max(320, container.clientWidth || 640);
  const hasLag = names.includes('lag');
  const hasRate = names.some((n) => SERIES[n].scale === 'rate');
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: true }, rate: { range: (_u, _min, max) => [0, Math.max(1, max)] }, lag: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    series: [{}, ...names.map((name) => ({ label: SERIES[name].label, stroke: SERIES[name].stroke, width: 2, scale: SERIES[name].scale, dash: SERIES[name].dash, spanGaps: false, points: { show: fewPoints } }))],
    axes: [
      { stroke: 'currentColor' },
      ...(hasRate ? [{ scale: 'rate', label: 'messages/s', stroke: 'currentColor' }] : []),
      ...(hasLag ? [{ scale: 'lag', label: 'lag', side: hasRate ? 1 : 3, stroke: 'currentColor', grid: { show: !hasRate } }] : []),
    ],
    legend: { live: false },
  };
}

/** Charts follow their container's width when the window is resized. */
export function resizeCharts(containers) {
  for (const container of containers) {
    const entry = charts.get(container);
    if (entry) entry.plot.setSize({ width: Math.max(320, container.clientWidth), height: HEIGHT });
  }
}
