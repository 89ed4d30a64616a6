import { setText } from './dom.js';
import { drawHistory } from './charts.js';
import { byId, byTestId } from './page.js';
import { formatBrokers, formatCount, formatDuration, formatStoreStatus, formatTimestamp } from './format.js';

export function renderCluster(c, history) {
  const section = document.querySelector('[data-testid="cluster"]');
  const fields = {
    'cluster-name': c.clusterName,
    'broker-name': c.brokerName,
    'advertised-address': c.advertisedAddress,
    brokers: formatBrokers(c.brokers),
    store: c.store,
    version: c.version,
    uptime: formatDuration(c.uptimeMs),
    'topic-count': formatCount(c.topicCount),
    'group-count': formatCount(c.groupCount),
    'producer-connections': formatCount(c.connections.producer),
    'consumer-connections': formatCount(c.connections.consumer),
  };
  for (const [testId, text] of Object.entries(fields)) setText(byTestId(section, testId), String(text));
  setText(byTestId(section, 'store-status'), formatStoreStatus(c.storeStatus));
  byTestId(section, 'store-status').classList.toggle('warning', c.storeStatus?.ready === false);
  byTestId(section, 'uptime').title = `started ${formatTimestamp(c.startedAt)}`;
  const title = `RoP dashboard: ${c.brokerName}`;
  if (document.title !== title) document.title = title;
  drawHistory(byId('cluster-chart'), history);
}
