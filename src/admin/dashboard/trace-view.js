import { getJson } from './api.js';
import { el, setText } from './dom.js';
import { byId, failureText } from './page.js';
import { formatCount, formatTimestamp } from './format.js';

// The message trace the clients wrote (GET /api/trace): per message, who published it and each group's attempts.

let traceSeq = 0;

const table = (testId, headers, rows) => el('table', { 'data-testid': testId },
  el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col', text: h })))),
  el('tbody', {}, ...rows));

const cells = (rowTestId, values) => el('tr', { 'data-testid': rowTestId }, ...values.map(([testId, text]) => el('td', { 'data-testid': testId, text })));

const ms = (n) => (n === null || n === undefined ? '—' : `${formatCount(n)} ms`);

function renderTimeline(m) {
  const published = m.published.map((p) => cells('trace-pub', [
    ['trace-pub-group', p.group], ['trace-pub-client', p.clientHost], ['trace-pub-time', formatTimestamp(p.timestamp)],
    ['trace-pub-cost', ms(p.costMs)], ['trace-pub-store', p.storeHost], ['trace-pub-type', p.msgType], ['trace-pub-status', p.success ? 'sent' : 'failed'],
  ]));
  const transactions = m.transactions.map((e) => cells('trace-transaction', [
    ['trace-tx-group', e.group], ['trace-tx-client', e.clientHost], ['trace-tx-time', formatTimestamp(e.timestamp)],
    ['trace-tx-state', e.transactionState], ['trace-tx-check', e.fromTransactionCheck ? 'by a check-back' : 'by the producer'],
  ]));
  const consumed = m.consumed.map((c) => el('section', { class: 'trace-group', 'data-testid': 'trace-group', 'data-group': c.group },
    el('h5', { text: `Consumed by ${c.group || 'an unnamed group'}` }),
    table('trace-attempts', ['Client', 'Retry', 'Began', 'Ended', 'Cost', 'Status'], c.attempts.map((a) => cells('trace-attempt', [
      ['trace-attempt-client', a.clientHost], ['trace-attempt-retry', a.retryTimes === null ? '—' : String(a.retryTimes)],
      ['trace-attempt-begin', formatTimestamp(a.beginTimestamp)], ['trace-attempt-end', formatTimestamp(a.endTimestamp)],
      ['trace-attempt-cost', ms(a.costMs)], ['trace-attempt-status', a.returnType && a.status !== 'success' ? `${a.status} (${a.returnType})` : a.status],
    ])))));
  return el('article', { class: 'message', 'data-testid': 'trace-message', 'data-msgid': m.msgId },
    el('h3', { text: `${m.msgId}${m.topic ? ` in ${m.topic}` : ''}`, class: 'id' }),
    el('p', { class: 'muted', text: `Tags ${m.tags ?? '—'}, keys ${m.keys ?? '—'}` }),
    el('h4', { text: 'Published' }),
    published.length === 0 ? el('p', { text: 'No publish record (the producer did not trace it).' }) : table('trace-published', ['Group', 'Client', 'Time', 'Cost', 'Stored at', 'Type', 'Status'], published),
    ...(transactions.length === 0 ? [] : [el('h4', { text: 'Transaction' }), table('trace-transactions', ['Group', 'Client', 'Time', 'State', 'Ended'], transactions)]),
    ...(consumed.length === 0 ? [el('h4', { text: 'Consumed' }), el('p', { text: 'No consume record yet.' })] : consumed));
}

async function findTrace(event) {
  event.preventDefault();
  const mode = byId('trace-mode').value;
  const value = byId('trace-value').value.trim();
  const traceTopic = byId('trace-topic').value.trim();
  const status = byId('trace-status');
  const results = byId('trace-results');
  if (value === '') {
    setText(status, `Enter the ${mode === 'key' ? 'key' : 'message id'}.`);
    return;
  }
  const params = new URLSearchParams({ [mode]: value });
  if (traceTopic !== '') params.set('traceTopic', traceTopic);
  const seq = ++traceSeq;
  setText(status, 'Looking up the trace…');
  try {
    const trace = await getJson(`/api/trace?${params}`);
    if (seq !== traceSeq) return;
    const n = trace.messages.length;
    const notes = [trace.truncated ? 'only the first trace records were read' : '', trace.skippedRecords ? `${trace.skippedRecords} records could not be read` : ''].filter(Boolean);
    setText(status, `${n === 0 ? 'No trace found' : `Trace of ${formatCount(n)} ${n === 1 ? 'message' : 'messages'}`} in ${trace.traceTopic}${notes.length ? ` (${notes.join('; ')})` : ''}.`);
    results.replaceChildren(...trace.messages.map(renderTimeline));
  } catch (err) {
    if (seq !== traceSeq) return;
    setText(status, failureText(err, 'look up the trace'));
    results.replaceChildren();
  }
}

export function wireTrace() {
  byId('trace-form').addEventListener('submit', findTrace);
}
