/**
 * What a `connect` handler answered, validated into a ConnectOutcome. The body is JSON whatever
 * the Content-Type says (the Functions extension has sent JSON as text/plain), `null` fields mean
 * absent, and anything malformed rejects the connection with 500 rather than guessing.
 */
import { isValidGroupName, isValidUserId } from '../protocol/names.js';
import type { ConnectOutcome } from './types.js';

type Accepted = Extract<ConnectOutcome, { kind: 'accepted' }>;

/** RFC 9110 token, as a WebSocket subprotocol must be. */
const SUBPROTOCOL = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The outcome of a 2xx `connect` response body. */
export function parseConnectResponse(body: Buffer): ConnectOutcome {
  const text = body.toString('utf8');
  if (text.trim() === '') return { kind: 'accepted' };
  let parsed: unknown;
  try {
    // JSON.parse makes `__proto__` an ordinary own property; only named fields are read below.
    parsed = JSON.parse(text);
  } catch {
    return malformed('the body is not JSON');
  }
  if (parsed === null) return { kind: 'accepted' };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) return malformed('the body is not a JSON object');

  const fields = parsed as Record<string, unknown>;
  const userId = field(fields, 'userId');
  const groups = field(fields, 'groups');
  const roles = field(fields, 'roles');
  const subprotocol = field(fields, 'subprotocol');

  const outcome: { -readonly [K in keyof Accepted]: Accepted[K] } = { kind: 'accepted' };
  if (userId !== undefined) {
    if (typeof userId !== 'string') return malformed('userId is not a string');
    if (!isValidUserId(userId)) return malformed('userId is too long or has control characters');
    outcome.userId = userId;
  }
  if (groups !== undefined) {
    if (!isStringArray(groups)) return malformed('groups is not an array of strings');
    const invalid = groups.find((group) => !isValidGroupName(group));
    if (invalid !== undefined) return malformed(`invalid group name "${invalid.slice(0, 64)}"`);
    // An empty list keeps the token's groups.
    if (groups.length > 0) outcome.groups = groups;
  }
  if (roles !== undefined) {
    if (!isStringArray(roles)) return malformed('roles is not an array of strings');
    outcome.roles = roles;
  }
  // An empty subprotocol chooses nothing.
  if (subprotocol !== undefined && subprotocol !== '') {
    if (typeof subprotocol !== 'string' || !SUBPROTOCOL.test(subprotocol)) return malformed('subprotocol is not a valid subprotocol name');
    outcome.subprotocol = subprotocol;
  }
  return outcome;
}

/** An own property, with `null` read as absent. */
function field(fields: Record<string, unknown>, name: string): unknown {
  if (!Object.hasOwn(fields, name)) return undefined;
  const value = fields[name];
  return value === null ? undefined : value;
}

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

const malformed = (why: string): ConnectOutcome => ({
  kind: 'rejected',
  status: 500,
  reason: `malformed connect response: ${why}`,
});
