import { type ClientType, DEFAULT_TOKEN_MINUTES, generateClientToken as mintToken } from '../../auth/generateClientToken.js';
import { badRequest } from '../../errors.js';
import type { QueryReader } from '../query.js';
import { validGroup } from './params.js';
import type { Operation } from './types.js';

/**
 * `:generateToken`: the same token the SDKs sign locally with a key, minted here for callers that
 * cannot sign (the SDKs call it when given a credential). The token's audience uses the host the
 * caller addressed, so clients dial the emulator the way the caller reached it.
 */

const MINUTES_TO_EXPIRE = { min: 1, max: 2147483647 } as const;

const CLIENT_TYPES: ReadonlyMap<string, ClientType> = new Map<string, ClientType>([
  ['default', 'Default'],
  ['mqtt', 'MQTT'],
]);

function clientTypeOf(query: QueryReader): ClientType {
  const text = query.optionalString('clientType');
  if (text === undefined) return 'Default';
  const clientType = CLIENT_TYPES.get(text.toLowerCase());
  if (clientType === undefined) throw badRequest(`The clientType must be 'Default' or 'MQTT'.`, 'clientType');
  return clientType;
}

function rolesOf(query: QueryReader): string[] {
  const roles = query.list('role');
  if (roles.some((role) => role.trim().length === 0)) throw badRequest('A role must not be empty.', 'role');
  return roles;
}

export const generateClientToken: Operation = ({ hubName, query, address }, { accessKeys, now }) => {
  const userId = query.optionalString('userId');
  const roles = rolesOf(query);
  const groups = query.list('group').map((group) => validGroup(group, 'group'));
  const minutesToExpire = query.optionalInteger('minutesToExpire', MINUTES_TO_EXPIRE) ?? DEFAULT_TOKEN_MINUTES;
  const clientType = clientTypeOf(query);
  const token = mintToken({
    endpoint: address.origin,
    hub: hubName,
    ...(userId === undefined ? {} : { userId }),
    roles,
    groups,
    minutesToExpire,
    clientType,
    key: accessKeys[0] ?? '',
    now: now(),
  });
  return { status: 200, body: { token } };
};
