import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { browserAvailability, launchBrowser, screenshot, type LaunchedBrowser } from '../helpers/browser.js';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { CHAT_HUB, startChatStack, type ChatStack } from '../helpers/chatStack.js';

const availability = browserAvailability();
const TIMEOUT = 15_000;
const XSS = `<img src=x onerror="alert('xss')"><script>alert('xss')</script>&lt;b&gt;`;

async function join(page: Page, appUrl: string, name: string): Promise<void> {
  await page.goto(`${appUrl}/`);
  await page.fill('#name', name);
  await page.press('#name', 'Enter');
  await page.locator('#status', { hasText: `Connected as ${name}` }).waitFor({ timeout: TIMEOUT });
}

async function send(page: Page, text: string): Promise<void> {
  await page.fill('#message', text);
  await page.press('#message', 'Enter');
}

void describe('chat page in headless Chromium', { skip: availability.available ? false : availability.reason }, () => {
  let stack: ChatStack;
  let browser: LaunchedBrowser;
  let alice: Page;
  let bob: Page;

  before(async () => {
    stack = await startChatStack();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser.close();
    await stack.close();
  });

  void it('two pages join under their names', async () => {
    alice = await browser.newPage();
    await join(alice, stack.appUrl, 'Alice');
    bob = await browser.newPage();
    await join(bob, stack.appUrl, 'Bob');
    await alice.locator('#messages .notice.joined', { hasText: 'Bob joined the chat' }).waitFor({ timeout: TIMEOUT });
    assert.equal(await alice.locator('#status').getAttribute('data-state'), 'connected');
  });

  void it('a message typed and sent with Enter reaches both pages, marked as own for the sender', async () => {
    await send(alice, 'Hello Bob!');
    const atBob = bob.locator('#messages .message', { hasText: 'Hello Bob!' });
    await atBob.waitFor({ timeout: TIMEOUT });
    assert.equal(await atBob.locator('.from').textContent(), 'Alice');
    assert.match((await atBob.locator('.time').textContent()) ?? '', /\d/);
    assert.equal(await atBob.getAttribute('class'), 'message');
    const atAlice = alice.locator('#messages .message', { hasText: 'Hello Bob!' });
    await atAlice.waitFor({ timeout: TIMEOUT });
    assert.equal(await atAlice.getAttribute('class'), 'message own');
    assert.equal(await alice.inputValue('#message'), '');
  });

  void it('shows an XSS payload as text and runs nothing', async () => {
    await send(bob, XSS);
    const atAlice = alice.locator('#messages .message .text', { hasText: 'onerror' });
    await atAlice.waitFor({ timeout: TIMEOUT });
    assert.equal(await atAlice.textContent(), XSS);
    assert.equal(await alice.locator('#messages img, #messages script, #messages b').count(), 0);
    // Barrier: a later message arrived, so the payload had every chance to run.
    await send(bob, 'after the payload');
    await alice.locator('#messages .message', { hasText: 'after the payload' }).waitFor({ timeout: TIMEOUT });
    assert.deepEqual(browser.alerts, []);
    const path = await screenshot(alice, 'chat-alice.png');
    await screenshot(bob, 'chat-bob.png');
    console.log(`screenshot: ${path}`);
  });

  void it('tells the sender, and only the sender, when a message is refused', async () => {
    // The input's maxlength keeps messages short enough; a hidden direction override is refused.
    await send(bob, 'looks harmless \u202Eevil');
    await bob.locator('#messages .notice.error', { hasText: 'control characters' }).waitFor({ timeout: TIMEOUT });
    await send(bob, 'barrier after refusal');
    await alice.locator('#messages .message', { hasText: 'barrier after refusal' }).waitFor({ timeout: TIMEOUT });
    assert.equal(await alice.locator('#messages .notice.error').count(), 0);
  });

  void it('refuses a reserved name with a message on the form', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${stack.appUrl}/`);
      await page.fill('#name', 'system');
      await page.press('#name', 'Enter');
      await page.locator('#join-error', { hasText: 'reserved' }).waitFor({ timeout: TIMEOUT });
      assert.equal(await page.locator('#chat').isHidden(), true);
    } finally {
      await page.close();
    }
  });

  void it('reconnects by itself when the service drops the connection', async () => {
    const service = new WebPubSubServiceClient(stack.emulator.connectionString, CHAT_HUB, { allowInsecureConnection: true });
    await service.closeUserConnections('Alice', { reason: 'test drop' });
    await alice.locator('#messages .notice', { hasText: 'Reconnected.' }).waitFor({ timeout: TIMEOUT });
    await alice.locator('#status', { hasText: 'Connected as Alice' }).waitFor({ timeout: TIMEOUT });
    await send(alice, 'back again');
    await bob.locator('#messages .message', { hasText: 'back again' }).waitFor({ timeout: TIMEOUT });
  });

  void it('announces a closed page as having left', async () => {
    await bob.close();
    await alice.locator('#messages .notice.left', { hasText: 'Bob left the chat' }).waitFor({ timeout: TIMEOUT });
    await screenshot(alice, 'chat-after-leave.png');
  });
});
