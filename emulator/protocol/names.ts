/**
 * Naming rules of the service for hubs, groups, events and user ids. The patterns are linear (no
 * nested quantifiers) because they run on client input.
 */

/** REST spec rule for `{hub}`: a letter, then up to 127 letters, digits or `` _`,.[] ``. */
const HUB_NAME = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;

/** Event names as the service accepts them (case-insensitive). */
const EVENT_NAME = /^[a-z][a-z0-9_.-]{0,127}$/i;

export const MAX_GROUP_NAME_LENGTH = 1024;
export const MAX_USER_ID_LENGTH = 1024;

export function isValidHubName(name: string): boolean {
  return HUB_NAME.test(name);
}

export function isValidEventName(name: string): boolean {
  return EVENT_NAME.test(name);
}

/** Groups: 1 to 1024 characters, not only whitespace. */
export function isValidGroupName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_GROUP_NAME_LENGTH && name.trim().length > 0;
}

/**
 * User ids travel upstream in the `ce-userId` header; control characters (CR, LF, NUL, DEL...)
 * could split or corrupt it, so they are refused. Non-ASCII text is allowed: the upstream side
 * encodes it.
 */
export function isValidUserId(userId: string): boolean {
  if (userId.length > MAX_USER_ID_LENGTH) return false;
  for (let i = 0; i < userId.length; i++) {
    const code = userId.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}
