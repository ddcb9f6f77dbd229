import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { FunctionDescriptor } from '../../src/functions/index.js';
import { browserAvailability, launchBrowser, screenshot, type LaunchedBrowser } from '../helpers/browser.js';
import { startChatStack, type ChatStack } from '../helpers/chatStack.js';

const availability = browserAvailability();
const TIMEOUT = 15_000;
const FIXTURES = new URL('../../../test/fixtures/', import.meta.url);

/** Pages served next to the app (same origin as /negotiate), as the tutorial serves its page. */
const pages = new Map<string, string>();
const tutorialPages: FunctionDescriptor = {
  name: 'tutorialPages',
  route: 'tutorial/{file}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (request) => {
    const html = pages.get(request.params.file ?? '');
    return html === undefined ? { status: 404 } : { status: 200, body: html, headers: { 'content-type': 'text/html; charset=utf-8' } };
  },
};

async function openTutorialPage(browser: LaunchedBrowser, url: string, name: string): Promise<Page> {
  const page = await browser.newPage();
  page.once('dialog', (dialog) => {
    void dialog.accept(name);
  });
  await page.goto(url);
  return page;
}

async function type(page: Page, text: string): Promise<void> {
  await page.fill('#message', text);
  await page.press('#message', 'Enter');
}

void describe("the tutorial's own pages against this backend", { skip: availability.available ? false : availability.reason }, () => {
  let stack: ChatStack;
  let browser: LaunchedBrowser;

  before(async () => {
    stack = await startChatStack({ extraFunctions: [tutorialPages] });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser.close();
    await stack.close();
  });

  void it('negotiate variant, unchanged, and lazy-auth variant, host line edited, chat with each other', async () => {
    pages.set('negotiate.html', readFileSync(new URL('tutorial-negotiate.html', FIXTURES), 'utf8'));
    // The emulator of this test listens on another port than the page's 8080.
    pages.set('lazy-auth.html', readFileSync(new URL('tutorial-lazy-auth.html', FIXTURES), 'utf8').replace('ws://localhost:8080', stack.emulator.endpoint.replace('http', 'ws')));

    const negotiating = await openTutorialPage(browser, `${stack.appUrl}/tutorial/negotiate.html`, 'Nina');
    await negotiating.locator('#messages p', { hasText: 'Nina joined the chat' }).waitFor({ timeout: TIMEOUT });
    const lazy = await openTutorialPage(browser, `${stack.appUrl}/tutorial/lazy-auth.html`, 'Larry');
    await negotiating.locator('#messages p', { hasText: 'Larry joined the chat' }).waitFor({ timeout: TIMEOUT });

    await type(negotiating, 'hello from the negotiate page');
    const atLazy = lazy.locator('#messages p', { hasText: 'hello from the negotiate page' });
    await atLazy.waitFor({ timeout: TIMEOUT });
    assert.equal(await atLazy.textContent(), '[Nina] hello from the negotiate page');

    await type(lazy, 'hello from the lazy-auth page');
    const atNegotiating = negotiating.locator('#messages p', { hasText: 'hello from the lazy-auth page' });
    await atNegotiating.waitFor({ timeout: TIMEOUT });
    assert.equal(await atNegotiating.textContent(), '[Larry] hello from the lazy-auth page');

    assert.equal(await negotiating.locator('#messages p', { hasText: 'Larry joined the chat' }).textContent(), '[system] Larry joined the chat');
    await screenshot(negotiating, 'tutorial-negotiate.png');
    await screenshot(lazy, 'tutorial-lazy-auth.png');
    assert.deepEqual(browser.alerts, []);
  });
});
