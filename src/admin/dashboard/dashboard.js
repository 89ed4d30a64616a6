import { ApiError, getJson } from './api.js';
import { el, setText, syncRows } from './dom.js';
import { formatBrokers, formatClock, formatCount, formatDuration, formatPerm, formatRate, formatStoreStatus, formatTimestamp } from './format.js';

const POLL_INTERVAL_MS = 2000;

const byId = (id) => document.getElementById(id);
const byTestId = (root, testId) => root.querySelector(`[data-testid="${testId}"]`);

const state = {
  topics: [],
  groups: [],
  showInternalTopics: false,
  showSystemGroups: false,
  /** name of the topic whose queues are shown, or null */
  selectedTopic: null,
  /** name of the group whose members and progress are shown, or null */
  selectedGroup: null,
  lastSuccess: null,
};

const topicPath = (name) => `/api/topics/${encodeURIComponent(name)}`;
const groupPath = (name) => `/api/groups/${encodeURIComponent(name)}`;

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
  const [cluster, topics, groups, topicDetail, groupDetail] = await Promise.all([
    getJson('/api/cluster'),
    getJson('/api/topics'),
    getJson('/api/groups'),
    topic === null ? null : getDetail(topicPath(topic)),
    group === null ? null : getDetail(groupPath(group)),
  ]);
  // Details first: one that has vanished clears its selection, which the tables then show.
  if (topic === state.selectedTopic) renderTopicDetail(topicDetail);
  if (group === state.selectedGroup) renderGroupDetail(groupDetail);
  renderCluster(cluster);
  state.topics = topics;
  state.groups = groups;
  renderTopics();
  renderGroups();
}

/** A topic or group deleted while shown is no failure of the poll: its panel closes. */
async function getDetail(path) {
  try {
    return await getJson(path);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
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

function reportActionFailure(err) {
  const banner = byId('error-banner');
  setText(banner, err.message);
  banner.hidden = false;
}

// ---- cluster -------------------------------------------------------------------------------------------------

function renderCluster(c) {
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
}

// ---- topics --------------------------------------------------------------------------------------------------

const byName = (a, b) => a.name.localeCompare(b.name);

function renderTopics() {
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

/** Suggestions for the search form's topic field. */
function syncTopicNames(names) {
  const list = byId('topic-names');
  const current = [...list.options].map((o) => o.value);
  if (current.length === names.length && current.every((n, i) => n === names[i])) return;
  list.replaceChildren(...names.map((name) => el('option', { value: name })));
}

async function selectTopic(name) {
  state.selectedTopic = state.selectedTopic === name ? null : name;
  renderTopics();
  if (state.selectedTopic === null) return renderTopicDetail(null);
  openPanel(byId('topic-detail'), 'topic-detail-name', name);
  try {
    const detail = await getDetail(topicPath(name));
    if (state.selectedTopic === name) renderTopicDetail(detail);
  } catch (err) {
    reportActionFailure(err);
  }
}

function renderTopicDetail(detail) {
  const panel = byId('topic-detail');
  if (detail === null) {
    state.selectedTopic = null;
    panel.hidden = true;
    return;
  }
  setText(byTestId(panel, 'topic-detail-name'), detail.name);
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

// ---- groups --------------------------------------------------------------------------------------------------

function renderGroups() {
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

async function selectGroup(name) {
  state.selectedGroup = state.selectedGroup === name ? null : name;
  renderGroups();
  if (state.selectedGroup === null) return renderGroupDetail(null);
  openPanel(byId('group-detail'), 'group-detail-name', name);
  try {
    const detail = await getDetail(groupPath(name));
    if (state.selectedGroup === name) renderGroupDetail(detail);
  } catch (err) {
    reportActionFailure(err);
  }
}

function renderGroupDetail(detail) {
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

/** Shows a detail panel at once, before its data arrives, so a click is answered without waiting. */
function openPanel(panel, nameTestId, name) {
  setText(byTestId(panel, nameTestId), name);
  panel.hidden = false;
}

// ---- message search ------------------------------------------------------------------------------------------

const topicField = { param: 'topic', input: 'search-topic', label: 'topic', required: true };
/** The query parameters of each way of searching, and the inputs they come from. */
const SEARCH_FIELDS = {
  key: [topicField, { param: 'key', input: 'search-key', label: 'key', required: true }],
  // A client msgId is unique only within its topic; an offsetMsgId locates its message alone.
  msgId: [{ param: 'msgId', input: 'search-msgid', label: 'message id', required: true }, { ...topicField, required: false }],
  offset: [
    topicField,
    { param: 'queueId', input: 'search-queue', label: 'queue', required: true },
    { param: 'offset', input: 'search-offset', label: 'offset', required: true },
  ],
};

/** Answers to an older search that arrive after a newer one was started are dropped. */
let searchSeq = 0;

function showSearchFields() {
  const mode = byId('search-mode').value;
  for (const node of byId('search-form').querySelectorAll('[data-modes]')) {
    node.hidden = !node.dataset.modes.split(' ').includes(mode);
  }
}

async function search(event) {
  event.preventDefault();
  const mode = byId('search-mode').value;
  const params = new URLSearchParams();
  const missing = [];
  for (const field of SEARCH_FIELDS[mode]) {
    const value = byId(field.input).value.trim();
    if (value !== '') params.set(field.param, value);
    else if (field.required) missing.push(field.label);
  }
  const status = byId('search-status');
  const results = byId('search-results');
  if (missing.length > 0) {
    setText(status, `Enter the ${missing.join(' and ')}.`);
    return;
  }
  const seq = ++searchSeq;
  setText(status, 'Searching…');
  try {
    const { messages } = await getJson(`/api/messages?${params}`);
    if (seq !== searchSeq) return;
    setText(status, messages.length === 0 ? 'No message found.' : `${formatCount(messages.length)} ${messages.length === 1 ? 'message' : 'messages'} found.`);
    results.replaceChildren(...messages.map(renderMessage));
  } catch (err) {
    if (seq !== searchSeq) return;
    setText(status, searchFailureText(err));
    results.replaceChildren();
  }
}

/** The gateway's refusal of the question itself (unknown topic, malformed id) is said in its words. */
function searchFailureText(err) {
  if (err instanceof ApiError && err.status === 404) return `Nothing found: ${err.reason}.`;
  if (err instanceof ApiError && err.status >= 400 && err.status < 500) return `Cannot search: ${err.reason}.`;
  return `Search failed: ${err.message}.`;
}

function renderMessage(m) {
  const fields = [
    ['Message id', 'message-msgid', m.msgId, 'id'],
    ['Offset message id', 'message-offset-msgid', m.offsetMsgId, 'id'],
    ['Tags', 'message-tags', m.tags || '—'],
    ['Keys', 'message-keys', m.keys || '—'],
    ['Born', 'message-born', `${formatTimestamp(m.bornTimestamp)} from ${m.bornHost}`],
    ['Stored', 'message-stored', formatTimestamp(m.storeTimestamp)],
    ['Reconsume times', 'message-reconsume-times', String(m.reconsumeTimes)],
  ];
  const properties = Object.entries(m.properties ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return el('article', { class: 'message', 'data-testid': 'message-result', 'data-msgid': m.msgId },
    el('h3', { text: `${m.topic}, queue ${m.queueId}, offset ${m.queueOffset}`, 'data-testid': 'message-location' }),
    el('dl', { class: 'overview' }, ...fields.map(([label, testId, value, className]) =>
      el('div', {}, el('dt', { text: label }), el('dd', { text: value, 'data-testid': testId, class: className })))),
    el('details', {},
      el('summary', { text: `Properties (${properties.length})` }),
      el('table', { 'data-testid': 'message-properties' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Name' }), el('th', { scope: 'col', text: 'Value' }))),
        el('tbody', {}, ...properties.map(([name, value]) =>
          el('tr', {}, el('th', { scope: 'row', text: name }), el('td', { text: value })))))),
    el('h4', { text: m.bodyEncoding === 'base64' ? 'Body (binary, shown as base64)' : 'Body' }),
    el('pre', { class: 'body', 'data-testid': 'message-body', 'data-encoding': m.bodyEncoding, text: m.body }));
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
byId('search-mode').addEventListener('change', showSearchFields);
byId('search-form').addEventListener('submit', search);
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) void poll();
});
showSearchFields();
void poll();
