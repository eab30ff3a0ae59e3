/**
 * The archivist's side: Debian's Chromium, driven by playwright-core, fills in the form at `/`
 * and lands on the run's status page, as a person does.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface FormBrowser {
  /** Submits the form for a collection with the given processes; returns the status page's heading text. */
  submit(url: string, collectionId: string, processes: readonly string[]): Promise<string>;
  /** Text of the status page of a collection (what the archivist reads at the end). */
  statusText(url: string, collectionId: string, waitFor?: RegExp): Promise<string>;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<FormBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/install-system.sh), then run npm run e2e again.`);
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  return {
    async submit(url, collectionId, processes) {
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        await page.goto(`${url}/`);
        await page.fill('input[name="collection_id"]', collectionId);
        for (const p of processes) await page.check(`input[name="processes"][value="${p}"]`);
        await Promise.all([page.waitForURL(new RegExp(`/distill/${encodeURIComponent(collectionId)}$`), { timeout: 30_000 }), page.click('button[type="submit"]')]);
        if (errors.length) throw new Error(`the page reported errors: ${errors.join('; ')}`);
        return (await page.locator('h1').first().textContent()) ?? '';
      } finally {
        await page.close();
      }
    },
    async statusText(url, collectionId, waitFor) {
      const page = await context.newPage();
      try {
        await page.goto(`${url}/distill/${encodeURIComponent(collectionId)}`);
        // The stream arrives after the page: wait (generously, on a busy machine) for the line that ends it.
        if (waitFor) await page.getByText(waitFor).first().waitFor({ timeout: 20_000 }).catch(() => undefined);
        return (await page.locator('body').innerText()) ?? '';
      } finally {
        await page.close();
      }
    },
    close: () => browser.close(),
  };
}
