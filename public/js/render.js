// Turns server payloads into list items. User text only ever goes through textContent, so a
// message or a name is shown exactly as typed and can never become markup or script.

/** @param {string | undefined} iso */
export function formatTime(iso) {
  const date = iso === undefined ? new Date() : new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * @param {string} tag
 * @param {string} className
 * @param {string} [text]
 */
function element(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * A chat line: sender, time, text. `own` marks the current user's messages.
 * @param {{ id?: string, from: string, message: string, time?: string }} payload
 * @param {boolean} own
 */
export function renderMessage(payload, own) {
  const item = element('li', own ? 'message own' : 'message');
  if (payload.id !== undefined) item.dataset.id = payload.id;
  const meta = element('div', 'meta');
  meta.append(element('span', 'from', payload.from), element('time', 'time', formatTime(payload.time)));
  if (payload.time !== undefined) meta.lastElementChild?.setAttribute('datetime', payload.time);
  item.append(meta, element('p', 'text', payload.message));
  return item;
}

/**
 * A join/leave notice or a local notice (connection changes, errors).
 * @param {string} text
 * @param {'joined' | 'left' | 'error' | 'info'} kind
 * @param {string} [time]
 */
export function renderNotice(text, kind, time) {
  const item = element('li', `notice ${kind}`);
  item.append(element('span', 'text', text), element('time', 'time', formatTime(time)));
  return item;
}

/**
 * Renders whatever the server sent; unknown shapes are ignored rather than guessed at.
 * @param {unknown} payload
 * @param {string} ownName
 * @returns {HTMLElement | undefined}
 */
export function renderPayload(payload, ownName) {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { kind, from, message, time, id } = /** @type {Record<string, unknown>} */ (payload);
  if (typeof message !== 'string') return undefined;
  const at = typeof time === 'string' ? time : undefined;
  if (kind === 'message' && typeof from === 'string') {
    return renderMessage({ id: typeof id === 'string' ? id : undefined, from, message, time: at }, from === ownName);
  }
  if (kind === 'joined' || kind === 'left' || kind === 'error') return renderNotice(message, kind, at);
  return undefined;
}
