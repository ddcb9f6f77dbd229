/**
 * What the server sends to chat clients. Every payload carries `kind` (what the page switches
 * on), `from` and `message`: the two fields the tutorial's page prints as `[from] message`, so
 * that page keeps working unchanged. `from` of notices is `system`, a reserved user name.
 */

export const SYSTEM_SENDER = 'system';

/** A chat line, broadcast to everyone. */
export interface ChatMessage {
  readonly kind: 'message';
  /** Server-assigned, unique: lets clients drop duplicates. */
  readonly id: string;
  readonly from: string;
  readonly message: string;
  /** ISO 8601, server clock. */
  readonly time: string;
}

/** Someone's connection opened or closed, broadcast to everyone. */
export interface PresenceNotice {
  readonly kind: 'joined' | 'left';
  readonly id: string;
  readonly from: typeof SYSTEM_SENDER;
  readonly user: string;
  readonly message: string;
  readonly time: string;
}

/** A refused message, sent to its sender only (as the user event's response). */
export interface ErrorNotice {
  readonly kind: 'error';
  readonly from: typeof SYSTEM_SENDER;
  readonly code: string;
  readonly message: string;
}

export type ChatPayload = ChatMessage | PresenceNotice | ErrorNotice;

/** Where server-assigned ids and times come from; injected so tests are deterministic. */
export interface Stamp {
  readonly id: string;
  readonly time: string;
}

export function chatMessage(from: string, message: string, stamp: Stamp): ChatMessage {
  return { kind: 'message', id: stamp.id, from, message, time: stamp.time };
}

export function presenceNotice(kind: 'joined' | 'left', user: string, stamp: Stamp): PresenceNotice {
  const message = kind === 'joined' ? `${user} joined the chat` : `${user} left the chat`;
  return { kind, id: stamp.id, from: SYSTEM_SENDER, user, message, time: stamp.time };
}

export function errorNotice(code: string, message: string): ErrorNotice {
  return { kind: 'error', from: SYSTEM_SENDER, code, message };
}
