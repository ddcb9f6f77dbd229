import type { OperationId } from '../routes.js';
import {
  closeAllConnections,
  closeConnection,
  closeGroupConnections,
  closeUserConnections,
  connectionExists,
  groupExists,
  userExists,
} from './connections.js';
import {
  addConnectionsToGroups,
  addConnectionToGroup,
  addUserToGroup,
  removeConnectionFromAllGroups,
  removeConnectionFromGroup,
  removeConnectionsFromGroups,
  removeUserFromAllGroups,
  removeUserFromGroup,
} from './groups.js';
import { listConnectionsInGroup } from './listConnections.js';
import { checkPermission, grantPermission, revokePermission } from './permissions.js';
import { sendToAll, sendToConnection, sendToGroup, sendToUser } from './send.js';
import { generateClientToken } from './token.js';
import type { Operation } from './types.js';

/** Every operation of the route table; the type makes a missing one a compile error. */
export const OPERATIONS: Readonly<Record<OperationId, Operation>> = {
  addConnectionsToGroups,
  closeAllConnections,
  generateClientToken,
  removeConnectionsFromGroups,
  sendToAll,
  closeConnection,
  connectionExists,
  sendToConnection,
  removeConnectionFromAllGroups,
  groupExists,
  closeGroupConnections,
  sendToGroup,
  listConnectionsInGroup,
  removeConnectionFromGroup,
  addConnectionToGroup,
  revokePermission,
  checkPermission,
  grantPermission,
  userExists,
  closeUserConnections,
  sendToUser,
  removeUserFromAllGroups,
  removeUserFromGroup,
  addUserToGroup,
};
