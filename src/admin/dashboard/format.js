const counts = new Intl.NumberFormat();

export const formatCount = (n) => counts.format(n);

/** Binary units, one decimal: "1.5 GiB". */
export function formatBytes(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Messages per second: a decimal only where it tells something. */
export function formatRate(perSecond) {
  if (!perSecond) return '0';
  return perSecond < 10 ? perSecond.toFixed(1) : counts.format(Math.round(perSecond));
}

/** The two largest units, e.g. "3d 4h", "5m 6s". */
export function formatDuration(ms) {
  const units = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  let rest = Math.max(0, Math.floor(ms));
  const parts = [];
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n}${unit}`);
    if (parts.length === 2) break;
  }
  return parts.length > 0 ? parts.join(' ') : '0s';
}

const pad = (n, width = 2) => String(n).padStart(width, '0');

/** Local wall-clock time with milliseconds; the API's 0 means "never" and shows as a dash. */
export function formatTimestamp(ms) {
  if (!ms) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatClock(d)}.${pad(d.getMilliseconds(), 3)}`;
}

export const formatClock = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;

/** RocketMQ's PermName bits: 4 readable, 2 writable. */
export function formatPerm(perm) {
  return `${perm & 4 ? 'R' : '-'}${perm & 2 ? 'W' : '-'}`;
}

/** The store's health in a line: readiness, its own words, disk and Pulsar connections where it has them. */
export function formatStoreStatus(status) {
  if (!status) return '—';
  const parts = [status.ready ? 'ready' : 'not ready', status.detail];
  if (status.diskBytes !== undefined) parts.push(`${formatBytes(status.diskBytes)} on disk`);
  if (status.pulsarConnections) parts.push(`${formatCount(status.pulsarConnections.open)} Pulsar connections`);
  return parts.filter(Boolean).join(', ');
}

/** Every broker of the cluster with where it is served now. */
export const formatBrokers = (brokers = []) =>
  brokers.map((b) => `${b.brokerName} ${b.address ? `at ${b.address}${b.servedHere ? ' (here)' : ''}` : '(no owner)'}`).join(', ');
