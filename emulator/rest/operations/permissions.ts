import type { QueryReader } from '../query.js';
import { connectionIdParam, connectionNotFound, permissionNotFound, permissionParam, validGroup } from './params.js';
import { NO_CONTENT, OK, type Operation } from './types.js';

/**
 * Runtime permissions of one connection for one group (`targetName`, required: the service
 * defines both permissions per group). Granting to a missing connection is a 404; revoking is
 * always 204; a check answers 200 or 404.
 */

function targetName(query: QueryReader): string {
  return validGroup(query.optionalString('targetName') ?? '', 'targetName');
}

export const grantPermission: Operation = ({ hub, params, query }) => {
  const permission = permissionParam(params);
  const connectionId = connectionIdParam(params);
  const target = targetName(query);
  if (!hub.grantPermission(connectionId, permission, target)) {
    throw connectionNotFound(connectionId, 'Info.Connection.NotExisted');
  }
  return OK;
};

export const revokePermission: Operation = ({ hub, params, query }) => {
  const permission = permissionParam(params);
  const connectionId = connectionIdParam(params);
  hub.revokePermission(connectionId, permission, targetName(query));
  return NO_CONTENT;
};

export const checkPermission: Operation = ({ hub, params, query }) => {
  const permission = permissionParam(params);
  const connectionId = connectionIdParam(params);
  const target = targetName(query);
  if (!hub.connectionExists(connectionId)) throw connectionNotFound(connectionId, 'Info.Connection.NotExisted');
  if (!hub.hasPermission(connectionId, permission, target)) throw permissionNotFound();
  return OK;
};
