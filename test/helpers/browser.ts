/**
 * Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core
 * (which downloads no browser of its own), with a fresh profile per launch.
 *
 * Without Chromium the browser tests are skipped loudly, except in CI (env CI set), where they
 * fail: CI must install it (`apt-get install -y chromium`).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Screenshots and other artifacts (gitignored). */
export const RESULTS_DIR = new URL('../../../test-results/', import.meta.url).pathname;

export type BrowserAvailability = { readonly available: true } | { readonly available: false; readonly reason: string };

export function browserAvailability(): BrowserAvailability {
  if (existsSync(CHROMIUM_PATH)) return { available: true };
  const reason = `Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`;
  if (process.env.CI !== undefined && process.env.CI !== '') {
    throw new Error(`${reason} Browser tests are required in CI.`);
  }
  console.warn(`\n${'!'.repeat(78)}\n!! BROWSER TESTS SKIPPED. ${reason}\n${'!'.repeat(78)}\n`);
  return { available: false, reason };
}

export interface LaunchedBrowser {
  readonly context: BrowserContext;
  /** Alert/confirm dialogs seen on any page: an XSS payload that ran would show up here. */
  readonly alerts: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'chat-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    viewport: { width: 420, height: 760 },
  });
  const alerts: string[] = [];
  context.on('page', (page) => {
    page.on('dialog', (dialog) => {
      if (dialog.type() !== 'prompt') alerts.push(`${dialog.type()}: ${dialog.message()}`);
    });
  });
  return {
    context,
    alerts,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}
