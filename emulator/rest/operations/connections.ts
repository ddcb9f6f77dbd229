import type { CloseOptions } from '../../hub/types.js';
import type { QueryReader } from '../query.js';
import { connectionIdParam, connectionNotFound, groupNotFound, groupParam, userIdParam, userNotFound } from './params.js';
import { NO_CONTENT, OK, type Operation } from './types.js';

/**
 * Existence checks (HEAD: 200, or 404 whose `x-ms-error-code` says what is missing) and closes
 * (204, also when nothing matched). A close without `reason` uses the hub's default,
 * "Closed by REST API.".
 */

export const connectionExists: Operation = ({ hub, params }) => {
  const connectionId = connectionIdParam(params);
  if (!hub.connectionExists(connectionId)) throw connectionNotFound(connectionId, 'Warning.Connection.NotExisted');
  return OK;
};

export const userExists: Operation = ({ hub, params }) => {
  const userId = userIdParam(params);
  if (!hub.userExists(userId)) throw userNotFound(userId, 'Warning.User.NotExisted');
  return OK;
};

export const groupExists: Operation = ({ hub, params }) => {
  const group = groupParam(params);
  if (!hub.groupExists(group)) throw groupNotFound(group);
  return OK;
};

function reasonOf(query: QueryReader): string | undefined {
  const reason = query.optionalString('reason');
  return reason === undefined || reason.length === 0 ? undefined : reason;
}

function closeOptions(query: QueryReader): CloseOptions {
  const reason = reasonOf(query);
  const excluded = query.list('excluded').filter((id) => id.length > 0);
  return { ...(excluded.length > 0 ? { excluded } : {}), ...(reason === undefined ? {} : { reason }) };
}

export const closeConnection: Operation = ({ hub, params, query }) => {
  const connectionId = connectionIdParam(params);
  hub.closeConnection(connectionId, reasonOf(query));
  return NO_CONTENT;
};

export const closeAllConnections: Operation = ({ hub, query }) => {
  hub.closeAll(closeOptions(query));
  return NO_CONTENT;
};

export const closeUserConnections: Operation = ({ hub, params, query }) => {
  const userId = userIdParam(params);
  hub.closeUser(userId, closeOptions(query));
  return NO_CONTENT;
};

export const closeGroupConnections: Operation = ({ hub, params, query }) => {
  const group = groupParam(params);
  hub.closeGroup(group, closeOptions(query));
  return NO_CONTENT;
};
