import { getJson } from './api.js';
import { setText, syncRows } from './dom.js';
import { drawHistory } from './charts.js';
import { byId, byTestId, getDetail, groupPath, openPanel, reportActionFailure, state } from './page.js';
import { formatCount, formatTimestamp } from './format.js';

export const groupHistoryPath = (name) => `/api/history?group=${encodeURIComponent(name)}`;

export function renderGroups() {
  // `system` marks the gateway's own cursors (%SCHEDULE%, %TRANSACTION%): their lag is what waits to be delivered or checked.
  const system = state.groups.filter((g) => g.system === true);
  const shown = state.showSystemGroups ? state.groups : state.groups.filter((g) => g.system !== true);
  setText(byId('hidden-groups'), !state.showSystemGroups && system.length > 0 ? `(${formatCount(system.length)} hidden)` : '');
  syncRows(byId('groups-body'), shown.slice().sort((a, b) => a.group.localeCompare(b.group)), {
    key: (g) => g.group,
    rowTestId: 'group-row',
    rowAttributes: (g) => ({ 'data-group': g.group }),
    expanded: (g) => g.group === state.selectedGroup,
    emptyText: state.groups.length === 0 ? 'No consumer groups yet.' : "Only the gateway's own cursors so far.",
    columns: [
      { testId: 'group-name', rowHeader: true, text: (g) => g.group, onActivate: selectGroup },
      { testId: 'group-online', className: 'num', text: (g) => formatCount(g.online) },
      { testId: 'group-model', text: (g) => g.messageModel ?? '—' },
      { testId: 'group-lag', className: 'num', text: (g) => formatCount(g.lag) },
      { testId: 'group-topics', text: (g) => g.topics.join(', ') },
    ],
  });
}

/** Called with the group's name whenever another group (or none) is shown, so dependent views can reset. */
const groupChangeListeners = [];
export const onGroupChange = (listener) => groupChangeListeners.push(listener);

export async function selectGroup(name) {
  state.selectedGroup = state.selectedGroup === name ? null : name;
  renderGroups();
  for (const listener of groupChangeListeners) listener(state.selectedGroup);
  if (state.selectedGroup === null) return renderGroupDetail(null);
  openPanel(byId('group-detail'), 'group-detail-name', name);
  try {
    const [detail, history] = await Promise.all([getDetail(groupPath(name)), getJson(groupHistoryPath(name))]);
    if (state.selectedGroup === name) renderGroupDetail(detail, history);
  } catch (err) {
    reportActionFailure(err);
  }
}

export function renderGroupDetail(detail, history) {
  const panel = byId('group-detail');
  if (detail === null) {
    state.selectedGroup = null;
    panel.hidden = true;
    return;
  }
  const fields = {
    'group-detail-name': detail.group,
    'group-detail-lag': formatCount(detail.lag),
    'group-detail-model': detail.messageModel ?? '—',
    'group-detail-from': detail.consumeFromWhere ?? '—',
    'group-detail-subscriptions': detail.subscriptions.length === 0
      ? '—'
      : detail.subscriptions.map((s) => `${s.topic} (${s.type && s.type !== 'TAG' ? `${s.type}: ` : ''}${s.expression})`).join(', '),
  };
  for (const [testId, text] of Object.entries(fields)) setText(byTestId(panel, testId), text);
  if (history) drawHistory(byId('group-chart'), history);
  syncRows(byId('group-members-body'), detail.members, {
    key: (m) => m.clientId,
    rowTestId: 'member-row',
    emptyText: 'No member online.',
    columns: [
      { testId: 'member-client-id', text: (m) => m.clientId },
      { testId: 'member-address', text: (m) => m.clientAddr },
      { testId: 'member-language', text: (m) => m.language },
      { testId: 'member-version', text: (m) => String(m.version) },
      { testId: 'member-heartbeat', text: (m) => formatTimestamp(m.lastHeartbeat) },
    ],
  });
  syncRows(byId('group-progress-body'), detail.progress, {
    key: (p) => `${p.topic}\u0000${p.queueId}`,
    rowTestId: 'progress-row',
    rowAttributes: (p) => ({ 'data-topic': p.topic, 'data-queue-id': p.queueId }),
    emptyText: 'No progress recorded.',
    columns: [
      { testId: 'progress-topic', text: (p) => p.topic },
      { testId: 'progress-queue', className: 'num', text: (p) => String(p.queueId) },
      { testId: 'progress-broker-offset', className: 'num', text: (p) => formatCount(p.brokerOffset) },
      { testId: 'progress-consumer-offset', className: 'num', text: (p) => formatCount(p.consumerOffset) },
      { testId: 'progress-lag', className: 'num', text: (p) => formatCount(p.lag) },
      { testId: 'progress-last-timestamp', text: (p) => formatTimestamp(p.lastTimestamp) },
    ],
  });
}
