/**
 * The contract between the hub state (connections, users, groups, permissions) and the edges
 * that drive it: the WebSocket client endpoint, the REST API and the upstream event dispatcher.
 * Nothing here knows about sockets or HTTP.
 */

/** How message bytes are to be understood; mirrors the subprotocols' `dataType`. */
export type DataType = 'text' | 'json' | 'binary' | 'protobuf';

/** A message's content. `data` holds UTF-8 text for `text`/`json`, raw bytes otherwise. */
export interface Payload {
  readonly dataType: DataType;
  readonly data: Buffer;
}

/** A data message on its way to clients (REST sends, group sends, event-handler replies). */
export interface OutboundMessage extends Payload {
  readonly from: 'server' | 'group';
  /** Set when `from` is `group`. */
  readonly group?: string;
  /** The sending user for client group sends; absent for REST sends. */
  readonly fromUserId?: string | null;
  /** Per-message metadata (string to string), when the sender supplied any. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** What a filter and a listing can see of a connection. */
export interface ConnectionInfo {
  readonly connectionId: string;
  readonly userId: string | undefined;
  /** Group names the connection is in. */
  readonly groups: ReadonlySet<string>;
  /** The negotiated subprotocol, undefined for raw WebSocket clients. */
  readonly protocol: string | undefined;
}

/** A compiled OData filter (see rest/odata); undefined means "every connection". */
export type ConnectionFilter = (connection: ConnectionInfo) => boolean;

export interface SendOptions {
  /** Connection ids that must not receive the message. */
  readonly excluded?: readonly string[];
  readonly filter?: ConnectionFilter;
}

export interface CloseOptions {
  readonly excluded?: readonly string[];
  /** Close reason shown to clients and sent upstream with `disconnected`. */
  readonly reason?: string;
}

export type Permission = 'sendToGroup' | 'joinLeaveGroup';

export interface GroupMember {
  readonly connectionId: string;
  readonly userId: string | undefined;
}

/** One hub's state. Hub names are case-insensitive; implementations key them lower-cased. */
export interface Hub {
  readonly name: string;

  sendToAll(message: OutboundMessage, options?: SendOptions): void;
  sendToUser(userId: string, message: OutboundMessage, options?: SendOptions): void;
  sendToConnection(connectionId: string, message: OutboundMessage): void;
  sendToGroup(group: string, message: OutboundMessage, options?: SendOptions): void;

  connectionExists(connectionId: string): boolean;
  userExists(userId: string): boolean;
  /** A group exists while it has at least one member. */
  groupExists(group: string): boolean;

  closeConnection(connectionId: string, reason?: string): void;
  closeAll(options?: CloseOptions): void;
  closeUser(userId: string, options?: CloseOptions): void;
  closeGroup(group: string, options?: CloseOptions): void;

  /** False when the connection does not exist. */
  addConnectionToGroup(group: string, connectionId: string): boolean;
  removeConnectionFromGroup(group: string, connectionId: string): void;
  removeConnectionFromAllGroups(connectionId: string): void;
  /** False when the user has no connection. */
  addUserToGroup(group: string, userId: string): boolean;
  removeUserFromGroup(group: string, userId: string): void;
  removeUserFromAllGroups(userId: string): void;
  /** Adds (removes) every connection matching `filter` (all when undefined) to (from) each group. */
  addConnectionsToGroups(groups: readonly string[], filter?: ConnectionFilter): void;
  removeConnectionsFromGroups(groups: readonly string[], filter?: ConnectionFilter): void;

  /** Members in a stable order (join order), so page tokens stay valid while membership changes. */
  listGroupMembers(group: string): readonly GroupMember[];

  /** False when the connection does not exist. `targetName` undefined means every group. */
  grantPermission(connectionId: string, permission: Permission, targetName?: string): boolean;
  revokePermission(connectionId: string, permission: Permission, targetName?: string): void;
  hasPermission(connectionId: string, permission: Permission, targetName?: string): boolean;
}

export interface HubRegistry {
  /** The hub named `name` (case-insensitive), created empty on first use. */
  get(name: string): Hub;
}
