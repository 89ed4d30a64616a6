import { getJson } from './api.js';
import { el, setText } from './dom.js';
import { byId, failureText, state } from './page.js';
import { formatCount, formatTimestamp } from './format.js';
import { onGroupChange } from './groups-view.js';

// A group's members asked for their running info (GET /api/groups/:group/running-info), on request: each call
// goes to every client, so it is not polled.

const table = (testId, headers, rows) => el('table', { 'data-testid': testId },
  el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col', text: h })))),
  el('tbody', {}, ...rows));
const row = (testId, attributes, values) => el('tr', { 'data-testid': testId, ...attributes }, ...values.map(([cellId, text]) => el('td', { 'data-testid': cellId, text: String(text) })));
const rate = (n) => (typeof n === 'number' ? n.toFixed(2) : '—');

function renderMember(m) {
  const heading = el('h5', { text: `${m.clientId} (${m.clientAddr}, ${m.language} ${m.version})` });
  if (!m.answered) {
    return el('section', { class: 'member', 'data-testid': 'running-info-member', 'data-client-id': m.clientId }, heading,
      el('p', { 'data-testid': 'running-info-error', text: `Not answered: ${m.error}` }));
  }
  const properties = Object.entries(m.properties).sort(([a], [b]) => a.localeCompare(b));
  return el('section', { class: 'member', 'data-testid': 'running-info-member', 'data-client-id': m.clientId }, heading,
    table('running-info-subscriptions', ['Topic', 'Type', 'Expression'], m.subscriptions.map((s) =>
      row('running-info-subscription', { 'data-topic': s.topic }, [['subscription-topic', s.topic], ['subscription-type', s.type], ['subscription-expression', s.expression]]))),
    table('running-info-queues', ['Topic', 'Queue', 'Committed offset', 'Cached', 'Locked', 'Dropped', 'Last pull', 'Last consume'], m.queues.map((q) =>
      row('running-info-queue', { 'data-topic': q.topic, 'data-queue-id': q.queueId }, [
        ['queue-topic', q.topic], ['queue-id', q.queueId], ['queue-commit-offset', formatCount(Number(q.commitOffset ?? 0))],
        ['queue-cached', `${formatCount(Number(q.cachedMsgCount ?? 0))} (${q.cachedMsgSizeInMiB ?? 0} MiB)`],
        ['queue-locked', q.locked ? 'yes' : 'no'], ['queue-dropped', q.droped ? 'yes' : 'no'],
        ['queue-last-pull', formatTimestamp(Number(q.lastPullTimestamp ?? 0))], ['queue-last-consume', formatTimestamp(Number(q.lastConsumeTimestamp ?? 0))],
      ]))),
    table('running-info-rates', ['Topic', 'Pull TPS', 'Pull RT (ms)', 'Consume OK TPS', 'Consume failed TPS', 'Consume RT (ms)', 'Failed in the last hour'], m.status.map((s) =>
      row('running-info-rate', { 'data-topic': s.topic }, [
        ['status-topic', s.topic], ['status-pull-tps', rate(s.pullTPS)], ['status-pull-rt', rate(s.pullRT)], ['status-ok-tps', rate(s.consumeOKTPS)],
        ['status-failed-tps', rate(s.consumeFailedTPS)], ['status-consume-rt', rate(s.consumeRT)], ['status-failed-msgs', s.consumeFailedMsgs ?? 0],
      ]))),
    el('details', {}, el('summary', { text: `Client properties (${properties.length})` }),
      table('running-info-properties', ['Name', 'Value'], properties.map(([name, value]) =>
        row('running-info-property', { 'data-name': name }, [['property-name', name], ['property-value', value]])))));
}

async function load() {
  const group = state.selectedGroup;
  if (group === null) return;
  const status = byId('running-info-status');
  setText(status, 'Asking the members…');
  try {
    const { members } = await getJson(`/api/groups/${encodeURIComponent(group)}/running-info`);
    if (group !== state.selectedGroup) return;
    setText(status, members.length === 0 ? 'No member online.' : `${formatCount(members.filter((m) => m.answered).length)} of ${formatCount(members.length)} members answered.`);
    byId('running-info').replaceChildren(...members.map(renderMember));
  } catch (err) {
    if (group !== state.selectedGroup) return;
    setText(status, failureText(err, 'ask the members'));
  }
}

export function wireConsumerStatus() {
  byId('running-info-load').addEventListener('click', load);
  onGroupChange(() => {
    setText(byId('running-info-status'), '');
    byId('running-info').replaceChildren();
  });
}
