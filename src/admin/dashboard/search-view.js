import { getJson } from './api.js';
import { el, setText } from './dom.js';
import { byId, failureText } from './page.js';
import { formatCount, formatTimestamp } from './format.js';

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
    results.replaceChildren(...messages.map((m) => renderMessage(m)));
  } catch (err) {
    if (seq !== searchSeq) return;
    setText(status, failureText(err, 'search'));
    results.replaceChildren();
  }
}

/** A message as the API gives it: where it is, its ids, keys and tags, its properties and body; `actions` go under its heading. */
export function renderMessage(m, ...actions) {
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
    ...actions,
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

export function wireSearch() {
  byId('search-mode').addEventListener('change', showSearchFields);
  byId('search-form').addEventListener('submit', search);
  showSearchFields();
}
