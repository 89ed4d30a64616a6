import { getJson, postJson } from './api.js';
import { el, setText } from './dom.js';
import { byId, failureText, state } from './page.js';
import { formatCount } from './format.js';
import { onGroupChange } from './groups-view.js';
import { renderMessage } from './search-view.js';

// A group's dead letters (%DLQ%<group>), listed on request, each re-sendable so that the group consumes it again.

const PAGE = 32;
const deadLettersPath = (group) => `/api/groups/${encodeURIComponent(group)}/dead-letters`;

function describeResend(answer) {
  const where = answer.target === 'group' ? 'to the group\'s retry topic' : 'to the original topic';
  const failed = answer.failed.length === 0 ? '' : `; ${formatCount(answer.failed.length)} not: ${answer.failed.map((f) => f.error).join('; ')}`;
  return `${formatCount(answer.resent.length)} re-sent ${where}${failed}.`;
}

async function resend(group, body) {
  const status = byId('dlq-status');
  setText(status, 'Re-sending…');
  try {
    const answer = await postJson(`${deadLettersPath(group)}/resend`, body);
    if (group === state.selectedGroup) setText(status, describeResend(answer));
  } catch (err) {
    if (group === state.selectedGroup) setText(status, failureText(err, 're-send'));
  }
}

function resendButtons(group, m) {
  const toGroup = el('button', { type: 'button', 'data-testid': 'dlq-resend', text: 'Re-send to the group' });
  toGroup.addEventListener('click', () => resend(group, { msgIds: [m.offsetMsgId], target: 'group' }));
  const toTopic = el('button', { type: 'button', 'data-testid': 'dlq-resend-topic', text: `Re-send to ${m.originalTopic ?? 'its topic'}`, disabled: m.originalTopic === null });
  toTopic.addEventListener('click', () => resend(group, { msgIds: [m.offsetMsgId], target: 'topic' }));
  return el('p', { class: 'actions' }, toGroup, ' ', toTopic);
}

async function load() {
  const group = state.selectedGroup;
  if (group === null) return;
  const status = byId('dlq-status');
  setText(status, 'Reading the dead letters…');
  try {
    const page = await getJson(`${deadLettersPath(group)}?max=${PAGE}`);
    if (group !== state.selectedGroup) return;
    const shown = page.messages.length;
    setText(status, page.total === 0 ? 'No dead letters.' : `${formatCount(page.total)} dead ${page.total === 1 ? 'letter' : 'letters'} in ${page.topic}${shown < page.total ? `, the oldest ${formatCount(shown)} shown` : ''}.`);
    byId('dlq-resend-all').hidden = page.total === 0;
    byId('dlq-messages').replaceChildren(...page.messages.map((m) => renderMessage(m, resendButtons(group, m))));
  } catch (err) {
    if (group !== state.selectedGroup) return;
    setText(status, failureText(err, 'read the dead letters'));
  }
}

export function wireDeadLetters() {
  byId('dlq-load').addEventListener('click', load);
  byId('dlq-resend-all').addEventListener('click', () => {
    if (state.selectedGroup !== null) void resend(state.selectedGroup, { all: true, target: 'group' });
  });
  onGroupChange(() => {
    setText(byId('dlq-status'), '');
    byId('dlq-resend-all').hidden = true;
    byId('dlq-messages').replaceChildren();
  });
}
