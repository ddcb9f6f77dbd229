import { badRequest, unsupportedMediaType } from '../../errors.js';
import type { ConnectionFilter } from '../../hub/types.js';
import { compileFilter } from '../odata/index.js';
import { connectionIdParam, connectionNotFound, groupParam, userIdParam, userNotFound, validGroup } from './params.js';
import { NO_CONTENT, OK, type Operation, type RestRequest } from './types.js';

/**
 * Group membership. Adding answers 200, removing 204 (also when there was nothing to remove).
 * Adding a connection or user that has no connection is a 404, which the SDK reports as an error.
 */

export const addConnectionToGroup: Operation = ({ hub, params }) => {
  const group = groupParam(params);
  const connectionId = connectionIdParam(params);
  if (!hub.addConnectionToGroup(group, connectionId)) throw connectionNotFound(connectionId);
  return OK;
};

export const removeConnectionFromGroup: Operation = ({ hub, params }) => {
  const group = groupParam(params);
  hub.removeConnectionFromGroup(group, connectionIdParam(params));
  return NO_CONTENT;
};

export const removeConnectionFromAllGroups: Operation = ({ hub, params }) => {
  hub.removeConnectionFromAllGroups(connectionIdParam(params));
  return NO_CONTENT;
};

export const addUserToGroup: Operation = ({ hub, params }) => {
  const group = groupParam(params);
  const userId = userIdParam(params);
  if (!hub.addUserToGroup(group, userId)) throw userNotFound(userId);
  return OK;
};

export const removeUserFromGroup: Operation = ({ hub, params }) => {
  const group = groupParam(params);
  hub.removeUserFromGroup(group, userIdParam(params));
  return NO_CONTENT;
};

export const removeUserFromAllGroups: Operation = ({ hub, params }) => {
  hub.removeUserFromAllGroups(userIdParam(params));
  return NO_CONTENT;
};

export const addConnectionsToGroups: Operation = async (request) => {
  const { groups, filter } = await readGroupsRequest(request);
  request.hub.addConnectionsToGroups(groups, filter);
  return OK;
};

export const removeConnectionsFromGroups: Operation = async (request) => {
  const { groups, filter } = await readGroupsRequest(request);
  request.hub.removeConnectionsFromGroups(groups, filter);
  return OK;
};

interface GroupsRequest {
  readonly groups: readonly string[];
  /** Undefined selects every connection of the hub (filter omitted, null or empty). */
  readonly filter: ConnectionFilter | undefined;
}

/** The body `{"groups": ["g1", ...], "filter": "..."}`; only these two members are read. */
async function readGroupsRequest(request: RestRequest): Promise<GroupsRequest> {
  if (request.mediaType !== 'application/json') {
    throw unsupportedMediaType(`The Content-Type '${request.mediaType ?? ''}' is not supported; use application/json.`);
  }
  const body = parseJson(await request.readBody());
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object with "groups" and an optional "filter".', 'Request');
  }
  const groups = Object.hasOwn(body, 'groups') ? (body as { groups: unknown }).groups : undefined;
  const filter = Object.hasOwn(body, 'filter') ? (body as { filter: unknown }).filter : undefined;
  if (!Array.isArray(groups) || groups.length === 0) {
    throw badRequest('"groups" must be a non-empty array of group names.', 'groups');
  }
  const names = groups.map((group) => {
    if (typeof group !== 'string') throw badRequest('"groups" must contain strings only.', 'groups');
    return validGroup(group, 'groups');
  });
  if (filter !== undefined && filter !== null && typeof filter !== 'string') {
    throw badRequest('"filter" must be a string or null.', 'filter');
  }
  return { groups: names, filter: typeof filter === 'string' ? compileFilter(filter) : undefined };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('The request body is not a valid JSON.', 'Request');
  }
}
