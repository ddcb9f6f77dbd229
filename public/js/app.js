// Wires the page: the name form, the message list, the composer and the connection status.
import { connectChat, NameRefusedError } from './connection.js';
import { renderNotice, renderPayload } from './render.js';

const NAME_KEY = 'chat.name';
/** Enough to drop the duplicates a reconnect can replay, without growing forever. */
const REMEMBERED_IDS = 500;

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const joinForm = /** @type {HTMLFormElement} */ ($('join'));
const nameInput = /** @type {HTMLInputElement} */ ($('name'));
const joinButton = /** @type {HTMLButtonElement} */ ($('join-button'));
const joinError = $('join-error');
const chat = $('chat');
const list = $('messages');
const composer = /** @type {HTMLFormElement} */ ($('composer'));
const messageInput = /** @type {HTMLInputElement} */ ($('message'));
const status = $('status');
const reconnectButton = /** @type {HTMLButtonElement} */ ($('reconnect'));

/** @type {Awaited<ReturnType<typeof connectChat>> | undefined} */
let connection;
let myName = '';
let wasConnected = false;
const seenIds = new Set();

nameInput.value = window.localStorage.getItem(NAME_KEY) ?? '';

/** @param {HTMLElement} item */
function append(item) {
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.append(item);
  if (nearBottom || item.classList.contains('own')) item.scrollIntoView({ block: 'end' });
}

/** @param {unknown} payload */
function onPayload(payload) {
  const id = typeof payload === 'object' && payload !== null ? /** @type {{ id?: unknown }} */ (payload).id : undefined;
  if (typeof id === 'string') {
    if (seenIds.has(id)) return;
    seenIds.add(id);
    if (seenIds.size > REMEMBERED_IDS) seenIds.delete(seenIds.values().next().value);
  }
  const item = renderPayload(payload, myName);
  if (item !== undefined) append(item);
}

const STATE_TEXT = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

/** @param {keyof typeof STATE_TEXT} state */
function onState(state) {
  status.dataset.state = state;
  status.textContent = state === 'connected' ? `Connected as ${myName}` : STATE_TEXT[state];
  reconnectButton.hidden = state !== 'offline';
  if (state === 'connected') {
    if (wasConnected) append(renderNotice('Reconnected.', 'info'));
    wasConnected = true;
  } else if (state === 'reconnecting' && wasConnected) {
    append(renderNotice('Connection lost; reconnecting…', 'info'));
  } else if (state === 'offline' && wasConnected) {
    append(renderNotice('Disconnected. Use Reconnect to try again.', 'error'));
  }
}

/** @param {string} message */
function showJoinError(message) {
  joinError.textContent = message;
  joinError.hidden = false;
}

joinForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = nameInput.value.trim();
  if (name === '') return;
  joinError.hidden = true;
  joinButton.disabled = true;
  status.dataset.state = 'connecting';
  status.textContent = STATE_TEXT.connecting;
  myName = name;
  try {
    connection = await connectChat({ name, onPayload, onState });
    window.localStorage.setItem(NAME_KEY, name);
    joinForm.hidden = true;
    chat.hidden = false;
    messageInput.focus();
  } catch (error) {
    status.dataset.state = 'idle';
    status.textContent = 'Not connected';
    showJoinError(error instanceof NameRefusedError ? error.message : `Could not connect: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    joinButton.disabled = false;
  }
});

// A form submits on Enter, so Enter sends, on phones too.
composer.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = messageInput.value.trim();
  if (text === '' || connection === undefined) return;
  messageInput.value = '';
  try {
    await connection.send(text);
  } catch {
    append(renderNotice('Your last message could not be delivered.', 'error'));
    if (messageInput.value === '') messageInput.value = text;
  }
});

reconnectButton.addEventListener('click', async () => {
  if (connection === undefined) return;
  try {
    await connection.restart();
  } catch (error) {
    append(renderNotice(`Could not reconnect: ${error instanceof Error ? error.message : String(error)}`, 'error'));
  }
});
