import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startGateway, testStore, type GatewayProcess } from '../support/gateway.js';
import { launchChromium, waitForText } from '../support/chromium.js';

// The dashboard of a gateway that asks for a token, in a real browser: it asks for the token when the API answers
// 401, keeps it for this tab only, sends it on every call, asks again when it is refused, and forgets it on sign-out.
const ADMIN = 'dashboard-admin-token-0123';
const READ = 'dashboard-read-token-0123';
const TOPIC = 'SignInTopic';

test('the dashboard signs in with a token, keeps it in this tab only, and signs out', { timeout: 120_000 }, async () => {
  let browser: Browser | undefined;
  let gw: GatewayProcess | undefined;
  try {
    browser = await launchChromium();
    gw = await startGateway({ http: true, args: ['--admin-token', ADMIN, '--admin-read-token', READ] });
    const httpUrl = gw.httpUrl!;
    const created = await fetch(`${httpUrl}/api/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ name: TOPIC, queues: 2 }),
    });
    assert.equal(created.status, 201);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const apiAuthorizations: Array<string | undefined> = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/')) apiAuthorizations.push(r.headers().authorization);
    });
    await page.goto(`${httpUrl}/`, { timeout: 15_000 });

    const signIn = page.getByTestId('sign-in');
    await signIn.waitFor({ state: 'visible' });
    await waitForText(page.getByTestId('sign-in-reason'), 'This gateway asks for a token. Enter the admin or read-only token.', 'why the form is shown');
    assert.equal(await page.getByTestId('sign-in-token').evaluate((e) => e === document.activeElement), true, 'the token field has the focus');
    assert.equal(await page.getByTestId('sign-out').isVisible(), false, 'no sign-out without a token');
    assert.equal(await page.locator(`[data-testid="topic-row"][data-topic="${TOPIC}"]`).count(), 0, 'no data without a token');
    assert.ok(apiAuthorizations.length > 0 && apiAuthorizations.every((a) => a === undefined), 'nothing sent before a token was given');

    // A wrong token: the form comes back saying so
    await page.getByTestId('sign-in-token').fill('a-wrong-token-of-some-length');
    await page.getByTestId('sign-in-submit').click();
    await signIn.waitFor({ state: 'visible', timeout: 10_000 });
    await waitForText(page.getByTestId('sign-in-reason'), 'The gateway refused the token this tab holds. Enter the admin or read-only token.', 'a refused token');

    // The read-only token shows everything
    await page.getByTestId('sign-in-token').fill(READ);
    const signedInAt = apiAuthorizations.length;
    await page.getByTestId('sign-in-submit').click();
    await signIn.waitFor({ state: 'hidden' });
    const topicRow = page.locator(`[data-testid="topic-row"][data-topic="${TOPIC}"]`);
    await waitForText(topicRow.getByTestId('topic-queues'), '2/2', 'queues of the topic, once signed in');
    await waitForText(page.getByTestId('store'), testStore, 'store kind');
    await page.getByTestId('error-banner').waitFor({ state: 'hidden' });
    await page.getByTestId('sign-out').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => sessionStorage.getItem('rop-admin-token')), READ, 'kept in sessionStorage');
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage, which outlives the tab');

    await page.getByTestId('search-mode').selectOption('key');
    await page.getByTestId('search-topic').fill(TOPIC);
    await page.getByTestId('search-key').fill('no-such-key');
    await page.getByTestId('search-submit').click();
    await waitForText(page.getByTestId('search-status'), 'No message found.', 'a search with the read token');
    const sent = apiAuthorizations.slice(signedInAt);
    assert.ok(sent.length >= 4, `API calls after signing in: ${sent.length}`);
    assert.deepEqual(new Set(sent), new Set([`Bearer ${READ}`]), 'every API call after signing in carries the token');

    // Another tab of the same browser does not share it
    const otherTab = await context.newPage();
    await otherTab.goto(`${httpUrl}/`, { timeout: 15_000 });
    await otherTab.getByTestId('sign-in').waitFor({ state: 'visible' });
    await otherTab.close();

    // Signing out forgets the token and asks again
    await page.getByTestId('sign-out').click();
    await page.waitForLoadState('load');
    await signIn.waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => sessionStorage.getItem('rop-admin-token')), null, 'the token is gone');
    assert.equal(await page.getByTestId('sign-out').isVisible(), false);
    assert.equal(await topicRow.count(), 0, 'no data after signing out');

    assert.deepEqual(pageErrors, [], 'no script errors on the page');
  } finally {
    await browser?.close();
    if (gw) {
      await gw.stop();
      gw.cleanup();
    }
  }
});
