import { getJson } from './api.js';
import { el, setText, syncRows } from './dom.js';
import { drawHistory } from './charts.js';
import { byId, byTestId, getDetail, openPanel, reportActionFailure, state, topicPath } from './page.js';
import { formatCount, formatPerm, formatRate, formatTimestamp } from './format.js';
import { resetSendForm } from './send-view.js';

const byName = (a, b) => a.name.localeCompare(b.name);
export const topicHistoryPath = (name) => `/api/history?topic=${encodeURIComponent(name)}`;

export function renderTopics() {
  const internal = state.topics.filter((t) => t.kind !== 'normal');
  const shown = (state.showInternalTopics ? state.topics : state.topics.filter((t) => t.kind === 'normal')).slice().sort(byName);
  setText(byId('hidden-topics'), !state.showInternalTopics && internal.length > 0 ? `(${formatCount(internal.length)} hidden)` : '');
  syncRows(byId('topics-body'), shown, {
    key: (t) => t.name,
    rowTestId: 'topic-row',
    rowAttributes: (t) => ({ 'data-topic': t.name }),
    expanded: (t) => t.name === state.selectedTopic,
    emptyText: state.topics.length === 0 ? 'No topics yet.' : 'Only system, retry and dead-letter topics so far.',
    columns: [
      { testId: 'topic-name', rowHeader: true, text: (t) => t.name, onActivate: selectTopic },
      { testId: 'topic-kind', text: (t) => t.kind },
      { testId: 'topic-messages', className: 'num', text: (t) => formatCount(t.messages) },
      { testId: 'topic-in-rate', className: 'num', text: (t) => formatRate(t.inPerSecond) },
      { testId: 'topic-out-rate', className: 'num', text: (t) => formatRate(t.outPerSecond) },
      { testId: 'topic-queues', className: 'num', text: (t) => `${t.readQueueNums}/${t.writeQueueNums}` },
      { testId: 'topic-perm', text: (t) => formatPerm(t.perm) },
      { testId: 'topic-order', text: (t) => (t.order ? 'ordered' : '—') },
    ],
  });
  syncTopicNames(state.topics.map((t) => t.name).sort());
}

/** Suggestions for the topic fields of the forms. */
function syncTopicNames(names) {
  const list = byId('topic-names');
  const current = [...list.options].map((o) => o.value);
  if (current.length === names.length && current.every((n, i) => n === names[i])) return;
  list.replaceChildren(...names.map((name) => el('option', { value: name })));
}

export async function selectTopic(name) {
  state.selectedTopic = state.selectedTopic === name ? null : name;
  renderTopics();
  if (state.selectedTopic === null) return renderTopicDetail(null);
  openPanel(byId('topic-detail'), 'topic-detail-name', name);
  resetSendForm();
  try {
    const [detail, history] = await Promise.all([getDetail(topicPath(name)), getJson(topicHistoryPath(name))]);
    if (state.selectedTopic === name) renderTopicDetail(detail, history);
  } catch (err) {
    reportActionFailure(err);
  }
}

export function renderTopicDetail(detail, history) {
  const panel = byId('topic-detail');
  if (detail === null) {
    state.selectedTopic = null;
    panel.hidden = true;
    return;
  }
  setText(byTestId(panel, 'topic-detail-name'), detail.name);
  if (history) drawHistory(byId('topic-chart'), history);
  syncRows(byId('topic-queues-body'), detail.queues, {
    key: (q) => String(q.queueId),
    rowTestId: 'queue-row',
    rowAttributes: (q) => ({ 'data-queue-id': q.queueId }),
    emptyText: 'This topic has no queues.',
    columns: [
      { testId: 'queue-id', className: 'num', text: (q) => String(q.queueId) },
      { testId: 'queue-min-offset', className: 'num', text: (q) => formatCount(q.minOffset) },
      { testId: 'queue-max-offset', className: 'num', text: (q) => formatCount(q.maxOffset) },
      { testId: 'queue-messages', className: 'num', text: (q) => formatCount(q.maxOffset - q.minOffset) },
      { testId: 'queue-last-update', text: (q) => formatTimestamp(q.lastUpdateTimestamp) },
    ],
  });
}
