import { ApiError, getJson } from './api.js';
import { setText } from './dom.js';

// What the views share: the page's selections and the helpers every view uses.

export const byId = (id) => document.getElementById(id);
export const byTestId = (root, testId) => root.querySelector(`[data-testid="${testId}"]`);

export const state = {
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

export const topicPath = (name) => `/api/topics/${encodeURIComponent(name)}`;
export const groupPath = (name) => `/api/groups/${encodeURIComponent(name)}`;

/** A topic or group deleted while shown is no failure of the poll: its panel closes. */
export async function getDetail(path) {
  try {
    return await getJson(path);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

export function reportActionFailure(err) {
  const banner = byId('error-banner');
  setText(banner, err.message);
  banner.hidden = false;
}

/** Shows a detail panel at once, before its data arrives, so a click is answered without waiting. */
export function openPanel(panel, nameTestId, name) {
  setText(byTestId(panel, nameTestId), name);
  panel.hidden = false;
}

/** The gateway's refusal of the question itself (unknown topic, malformed id) is said in its words. */
export function failureText(err, doing) {
  if (err instanceof ApiError && err.status === 404) return `Nothing found: ${err.reason}.`;
  if (err instanceof ApiError && err.status >= 400 && err.status < 500) return `Cannot ${doing}: ${err.reason}.`;
  return `Failed to ${doing}: ${err.message}.`;
}
