import { existsSync } from 'node:fs';
import { chromium, type Browser, type Locator } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); CHROMIUM_PATH points elsewhere, e.g. on a developer's Mac. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium through playwright-core, which downloads no browser of its own. A missing Chromium fails
 * the test with how to install it: a browser test that skips itself would pass CI without testing anything.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: install it with "apt-get install -y chromium" (Debian/Ubuntu), or set CHROMIUM_PATH to a Chromium or Chrome binary`);
  }
  return chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu'], timeout: 30_000 });
}

/**
 * Waits until the element shows exactly `expected` (trimmed), as a person would read it; on timeout the error
 * names what was expected and what the page showed instead.
 */
export async function waitForText(locator: Locator, expected: string, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let shown: string | null | undefined;
  for (;;) {
    shown = (await locator.textContent({ timeout: Math.max(1, deadline - Date.now()) }).catch(() => undefined))?.trim();
    if (shown === expected) return;
    if (Date.now() >= deadline) {
      throw new Error(`${what}: expected "${expected}", the page shows ${shown === undefined ? 'no such element' : JSON.stringify(shown)} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
