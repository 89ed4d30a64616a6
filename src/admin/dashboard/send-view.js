import { postJson } from './api.js';
import { setText } from './dom.js';
import { byId, failureText, state } from './page.js';

// A test message sent to the open topic (POST /api/topics/:name/messages), answered with its send result.

async function send(event) {
  event.preventDefault();
  const topic = state.selectedTopic;
  if (topic === null) return;
  const status = byId('send-status');
  const body = byId('send-body').value;
  if (body === '') {
    setText(status, 'Enter the body.');
    return;
  }
  setText(status, 'Sending…');
  try {
    const r = await postJson(`/api/topics/${encodeURIComponent(topic)}/messages`, { body, tag: byId('send-tag').value.trim(), keys: byId('send-keys').value.trim() });
    if (topic !== state.selectedTopic) return;
    setText(status, `${r.sendStatus}: message id ${r.msgId}, offset message id ${r.offsetMsgId}, queue ${r.queueId}, offset ${r.queueOffset}.`);
    status.dataset.msgid = r.msgId;
  } catch (err) {
    if (topic === state.selectedTopic) setText(status, failureText(err, 'send'));
  }
}

/** The form starts empty for each topic opened. */
export function resetSendForm() {
  setText(byId('send-status'), '');
  delete byId('send-status').dataset.msgid;
}

export function wireSend() {
  byId('send-form').addEventListener('submit', send);
}
