import { getJson } from './api.js';
import { setText } from './dom.js';
import { resizeCharts } from './charts.js';
import { byId, getDetail, groupPath, state, topicPath } from './page.js';
import { renderCluster } from './cluster-view.js';
import { renderTopicDetail, renderTopics, selectTopic, topicHistoryPath } from './topics-view.js';
import { groupHistoryPath, renderGroupDetail, renderGroups, selectGroup } from './groups-view.js';
import { wireSearch } from './search-view.js';
import { wireTrace } from './trace-view.js';
import { wireConsumerStatus } from './consumer-status-view.js';
import { wireDeadLetters } from './dead-letters-view.js';
import { wireSend } from './send-view.js';
import { formatClock } from './format.js';

const POLL_INTERVAL_MS = 2000;

// ---- polling -------------------------------------------------------------------------------------------------

let pollTimer;
let polling = false;

/**
 * One refresh, then the next in POLL_INTERVAL_MS. Only one loop ever runs: a call while a refresh is in flight
 * returns at once (that refresh schedules the next), and a hidden tab stops polling until it is shown again.
 */
async function poll() {
  clearTimeout(pollTimer);
  if (polling || document.hidden) return;
  polling = true;
  try {
    await refresh();
    showSuccess();
  } catch (err) {
    showFailure(err);
  } finally {
    polling = false;
  }
  if (!document.hidden) pollTimer = setTimeout(poll, POLL_INTERVAL_MS);
}

/** All or nothing, so that everything on the page is as of the time "Last updated" shows. */
async function refresh() {
  const topic = state.selectedTopic;
  const group = state.selectedGroup;
  const [cluster, history, topics, groups, topicDetail, topicHistory, groupDetail, groupHistory] = await Promise.all([
    getJson('/api/cluster'),
    getJson('/api/history'),
    getJson('/api/topics'),
    getJson('/api/groups'),
    topic === null ? null : getDetail(topicPath(topic)),
    topic === null ? null : getDetail(topicHistoryPath(topic)),
    group === null ? null : getDetail(groupPath(group)),
    group === null ? null : getDetail(groupHistoryPath(group)),
  ]);
  // Details first: one that has vanished clears its selection, which the tables then show.
  if (topic === state.selectedTopic) renderTopicDetail(topicDetail, topicHistory);
  if (group === state.selectedGroup) renderGroupDetail(groupDetail, groupHistory);
  renderCluster(cluster, history);
  state.topics = topics;
  state.groups = groups;
  renderTopics();
  renderGroups();
}

function showSuccess() {
  state.lastSuccess = new Date();
  const time = byId('last-updated');
  setText(time, formatClock(state.lastSuccess));
  time.setAttribute('datetime', state.lastSuccess.toISOString());
  setText(byId('live-status'), `Live, refreshed every ${POLL_INTERVAL_MS / 1000} s.`);
  const banner = byId('error-banner');
  banner.hidden = true;
  setText(banner, '');
}

function showFailure(err) {
  const since = state.lastSuccess ? `Showing data from ${formatClock(state.lastSuccess)}` : 'No data yet';
  const banner = byId('error-banner');
  setText(banner, `Could not refresh: ${err.message}. ${since}; retrying every ${POLL_INTERVAL_MS / 1000} s.`);
  banner.hidden = false;
  setText(byId('live-status'), 'Retrying…');
}

// ---- start ---------------------------------------------------------------------------------------------------

byId('show-internal-topics').addEventListener('change', (event) => {
  state.showInternalTopics = event.target.checked;
  renderTopics();
});
for (const button of document.querySelectorAll('button[data-close]')) {
  button.addEventListener('click', () => {
    const [tbody, selected, select] = button.dataset.close === 'topic'
      ? ['topics-body', state.selectedTopic, selectTopic]
      : ['groups-body', state.selectedGroup, selectGroup];
    // Focus goes back to the row the panel was opened from, rather than to the top of the page.
    const opener = [...byId(tbody).querySelectorAll('tr[data-key]')].find((row) => row.dataset.key === selected)?.querySelector('button');
    void select(selected);
    opener?.focus();
  });
}
byId('show-system-groups').addEventListener('change', (event) => {
  state.showSystemGroups = event.target.checked;
  renderGroups();
});
wireSearch();
wireTrace();
wireConsumerStatus();
wireDeadLetters();
wireSend();
window.addEventListener('resize', () => resizeCharts(document.querySelectorAll('.chart')));
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) void poll();
});
void poll();
