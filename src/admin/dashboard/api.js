import { askForToken, authHeaders } from './auth.js';

/** A poll that hangs must not stall the page: the next one starts once this one gives up. */
const REQUEST_TIMEOUT_MS = 5000;

export class ApiError extends Error {
  /**
   * status: the HTTP status, 0 when there was no answer
   * reason: the gateway's own words (its `error`), or the message when it said nothing
   */
  constructor(message, status, reason = message) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

/**
 * GETs JSON from the admin API with the tab's token; failures become an ApiError whose message is fit to show a
 * person, and a 401 also asks for a token.
 */
export const getJson = (path) => requestJson('GET', path);

/** POSTs `body` as JSON, answered as getJson answers. Actions such as a send or a re-send need the admin token. */
export const postJson = (path, body) => requestJson('POST', path, body);

async function requestJson(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...authHeaders() },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
    throw new ApiError(timedOut ? `${path} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s` : `cannot reach the gateway (${path})`, 0);
  }
  let answer;
  try {
    answer = await response.json();
  } catch {
    throw new ApiError(`${path} answered ${response.status} without JSON`, response.status);
  }
  if (response.status === 401) askForToken();
  if (!response.ok) {
    const reason = answer && typeof answer.error === 'string' ? answer.error : response.statusText;
    throw new ApiError(`${path}: ${response.status} ${reason}`, response.status, reason);
  }
  return answer;
}
