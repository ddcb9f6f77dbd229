/**
 * What a raw WebSocket client's frames do, chosen by its URL: `webpubsub_mode=sendEvent` (the
 * default) makes each frame a `message` event upstream; `webpubsub_mode=sendToGroup&group={g}`
 * (optionally `&noEcho=true`) publishes each frame to group `g` instead, with no handler involved.
 * Subprotocol clients ignore it. Values are compared case-insensitively, as the service's
 * emulator does; anything else refuses the handshake with 400.
 */
import { isValidGroupName } from '../protocol/names.js';

export interface RawSendToGroup {
  readonly group: string;
  readonly noEcho: boolean;
}

export type RawModeResult =
  | { readonly ok: true; readonly sendToGroup: RawSendToGroup | undefined }
  | { readonly ok: false; readonly reason: string };

const SEND_EVENT: RawModeResult = { ok: true, sendToGroup: undefined };

export function readRawMode(query: URLSearchParams): RawModeResult {
  const mode = query.get('webpubsub_mode');
  if (mode === null || mode.toLowerCase() === 'sendevent') return SEND_EVENT;
  if (mode.toLowerCase() !== 'sendtogroup') return { ok: false, reason: "webpubsub_mode must be 'sendEvent' or 'sendToGroup'." };
  const group = query.get('group');
  if (group === null || !isValidGroupName(group)) {
    return { ok: false, reason: "webpubsub_mode=sendToGroup needs a 'group' of 1 to 1024 characters, not only whitespace." };
  }
  const noEcho = query.get('noEcho')?.toLowerCase();
  if (noEcho !== undefined && noEcho !== 'true' && noEcho !== 'false') return { ok: false, reason: "noEcho must be 'true' or 'false'." };
  return { ok: true, sendToGroup: { group, noEcho: noEcho === 'true' } };
}
