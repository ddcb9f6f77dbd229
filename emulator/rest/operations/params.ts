import { badRequest, ServiceError } from '../../errors.js';
import type { Permission } from '../../hub/types.js';
import { isValidGroupName } from '../../protocol/names.js';
import type { PathParams } from '../routes.js';

/**
 * Validation of path and query values shared by the operations, with the specification's rules:
 * groups 1-1024 characters and not only whitespace, connection and user ids non-empty.
 */

export function groupParam(params: PathParams): string {
  return validGroup(params.group ?? '', 'group');
}

export function validGroup(group: string, target: string): string {
  if (!isValidGroupName(group)) {
    throw badRequest(`The group name must be 1 to 1024 characters and not only whitespace.`, target);
  }
  return group;
}

export function connectionIdParam(params: PathParams): string {
  return nonEmpty(params.connectionId, 'connectionId');
}

export function userIdParam(params: PathParams): string {
  return nonEmpty(params.userId, 'userId');
}

function nonEmpty(value: string | undefined, name: string): string {
  if (value === undefined || value.length === 0) throw badRequest(`The ${name} must not be empty.`, name);
  return value;
}

const PERMISSIONS: ReadonlyMap<string, Permission> = new Map<string, Permission>([
  ['sendtogroup', 'sendToGroup'],
  ['joinleavegroup', 'joinLeaveGroup'],
]);

/** `sendToGroup` or `joinLeaveGroup`, case-insensitive like the service's enum binding. */
export function permissionParam(params: PathParams): Permission {
  const permission = PERMISSIONS.get((params.permission ?? '').toLowerCase());
  if (permission === undefined) {
    throw badRequest(`The permission must be 'sendToGroup' or 'joinLeaveGroup'.`, 'permission');
  }
  return permission;
}

/** 404s whose codes say what is missing; HEAD answers carry only the header. */
export const connectionNotFound = (connectionId: string, code = 'Error.Connection.NotExisted'): ServiceError =>
  new ServiceError(404, code, `Connection \`${clip(connectionId)}\` is not found.`, 'Connection');

export const userNotFound = (userId: string, code = 'Error.User.NotExisted'): ServiceError =>
  new ServiceError(404, code, `User \`${clip(userId)}\` has no connection.`, 'User');

export const groupNotFound = (group: string): ServiceError =>
  new ServiceError(404, 'Warning.Group.NotExisted', `Group \`${clip(group)}\` has no connection.`, 'Group');

export const permissionNotFound = (): ServiceError =>
  new ServiceError(404, 'Warning.Permission.NotExisted', 'The connection does not have the permission.', 'Permission');

function clip(text: string): string {
  return text.length <= 128 ? text : `${text.slice(0, 128)}...`;
}
