import type { HubClient } from './client.js';
import { OutgoingMessage } from './outgoing.js';
import { Permissions } from './permissions.js';
import type {
  CloseOptions,
  ConnectionFilter,
  ConnectionInfo,
  GroupMember,
  Hub,
  OutboundMessage,
  Permission,
  SendOptions,
} from './types.js';

/** The reason clients and the upstream see when REST closes a connection without one. */
export const DEFAULT_CLOSE_REASON = 'Closed by REST API.';

/** Shared by every member in no group; replaced by a member's own set on its first join. */
const NO_GROUPS: ReadonlySet<string> = new Set<string>();

/**
 * A connection as the hub tracks it: what filters see, plus its client and permissions. Idle
 * connections are the common case, so the group set and permissions are allocated only when used.
 */
class Member implements ConnectionInfo, GroupMember {
  readonly connectionId: string;
  readonly userId: string | undefined;
  readonly protocol: string | undefined;
  groups: ReadonlySet<string> = NO_GROUPS;
  readonly client: HubClient;
  private grants: Permissions | undefined;

  constructor(client: HubClient, roles: readonly string[]) {
    this.client = client;
    this.connectionId = client.connectionId;
    this.userId = client.userId;
    this.protocol = client.protocol;
    if (roles.length > 0) this.grants = Permissions.fromRoles(roles);
  }

  get permissions(): Permissions {
    return (this.grants ??= new Permissions());
  }

  hasPermission(permission: Permission, group: string | undefined): boolean {
    return this.grants?.has(permission, group) ?? false;
  }

  /** The member's own, mutable group set. */
  ownGroups(): Set<string> {
    if (this.groups === NO_GROUPS) this.groups = new Set<string>();
    return this.groups as Set<string>;
  }
}

/** The hub as the client endpoint sees it: the REST surface plus connection registration. */
export interface LocalHub extends Hub {
  /** Registers a connection with the permissions its roles grant. */
  addConnection(client: HubClient, roles: readonly string[]): void;
  /** Forgets a connection and its memberships; the caller has already ended it. */
  removeConnection(connectionId: string): void;
  readonly connectionCount: number;
}

/**
 * One hub's connections, users and groups. Groups keep members in a Map keyed by connection id,
 * so iteration follows join order and removal is O(1). Fan-out touches only the recipients.
 */
export function createHub(name: string): LocalHub {
  const connections = new Map<string, Member>();
  /** A user's only connection, or a set once there are several (most users have one). */
  const users = new Map<string, Member | Set<Member>>();

  function connectionsOf(userId: string): Iterable<Member> | undefined {
    const entry = users.get(userId);
    return entry instanceof Member ? [entry] : entry;
  }
  const groups = new Map<string, Map<string, Member>>();

  function join(member: Member, group: string): void {
    if (member.groups.has(group)) return;
    member.ownGroups().add(group);
    let members = groups.get(group);
    if (members === undefined) {
      members = new Map();
      groups.set(group, members);
    }
    members.set(member.connectionId, member);
  }

  function leave(member: Member, group: string): void {
    if (!member.groups.has(group)) return;
    member.ownGroups().delete(group);
    const members = groups.get(group);
    if (members === undefined) return;
    members.delete(member.connectionId);
    if (members.size === 0) groups.delete(group);
  }

  function leaveAll(member: Member): void {
    for (const group of [...member.groups]) leave(member, group);
  }

  /** Delivers to each member that is neither excluded nor filtered out. */
  function fanOut(members: Iterable<Member>, message: OutboundMessage, options: SendOptions | undefined): void {
    const outgoing = new OutgoingMessage(message);
    const excluded = toExclusion(options?.excluded);
    const filter = options?.filter;
    for (const member of members) {
      if (excluded?.(member.connectionId) === true) continue;
      if (filter !== undefined && !filter(member)) continue;
      member.client.deliver(outgoing);
    }
  }

  function closeMembers(members: Iterable<Member> | undefined, options: CloseOptions | undefined): void {
    if (members === undefined) return;
    const excluded = toExclusion(options?.excluded);
    // Closing removes members from the collections being walked, so take a snapshot first.
    for (const member of [...members]) {
      if (excluded?.(member.connectionId) !== true) member.client.close(options?.reason ?? DEFAULT_CLOSE_REASON);
    }
  }

  function selected(filter: ConnectionFilter | undefined): Member[] {
    const all = [...connections.values()];
    return filter === undefined ? all : all.filter((member) => filter(member));
  }

  return {
    name,
    get connectionCount() {
      return connections.size;
    },

    addConnection(client, roles) {
      const member = new Member(client, roles);
      connections.set(member.connectionId, member);
      const { userId } = member;
      if (userId === undefined) return;
      const entry = users.get(userId);
      if (entry === undefined) users.set(userId, member);
      else if (entry instanceof Member) users.set(userId, new Set([entry, member]));
      else entry.add(member);
    },

    removeConnection(connectionId) {
      const member = connections.get(connectionId);
      if (member === undefined) return;
      leaveAll(member);
      connections.delete(connectionId);
      const { userId } = member;
      if (userId === undefined) return;
      const entry = users.get(userId);
      if (entry === member) {
        users.delete(userId);
      } else if (entry instanceof Set) {
        entry.delete(member);
        if (entry.size === 1) users.set(userId, entry.values().next().value as Member);
      }
    },

    sendToAll(message, options) {
      fanOut(connections.values(), message, options);
    },
    sendToUser(userId, message, options) {
      const mine = connectionsOf(userId);
      if (mine !== undefined) fanOut(mine, message, options);
    },
    sendToConnection(connectionId, message) {
      connections.get(connectionId)?.client.deliver(new OutgoingMessage(message));
    },
    sendToGroup(group, message, options) {
      const members = groups.get(group);
      if (members !== undefined) fanOut(members.values(), message, options);
    },

    connectionExists: (connectionId) => connections.has(connectionId),
    userExists: (userId) => users.has(userId),
    groupExists: (group) => groups.has(group),

    closeConnection(connectionId, reason) {
      connections.get(connectionId)?.client.close(reason ?? DEFAULT_CLOSE_REASON);
    },
    closeAll(options) {
      closeMembers(connections.values(), options);
    },
    closeUser(userId, options) {
      closeMembers(connectionsOf(userId), options);
    },
    closeGroup(group, options) {
      closeMembers(groups.get(group)?.values(), options);
    },

    addConnectionToGroup(group, connectionId) {
      const member = connections.get(connectionId);
      if (member === undefined) return false;
      join(member, group);
      return true;
    },
    removeConnectionFromGroup(group, connectionId) {
      const member = connections.get(connectionId);
      if (member !== undefined) leave(member, group);
    },
    removeConnectionFromAllGroups(connectionId) {
      const member = connections.get(connectionId);
      if (member !== undefined) leaveAll(member);
    },
    addUserToGroup(group, userId) {
      const mine = connectionsOf(userId);
      if (mine === undefined) return false;
      for (const member of mine) join(member, group);
      return true;
    },
    removeUserFromGroup(group, userId) {
      for (const member of connectionsOf(userId) ?? []) leave(member, group);
    },
    removeUserFromAllGroups(userId) {
      for (const member of connectionsOf(userId) ?? []) leaveAll(member);
    },
    addConnectionsToGroups(names, filter) {
      for (const member of selected(filter)) for (const group of names) join(member, group);
    },
    removeConnectionsFromGroups(names, filter) {
      for (const member of selected(filter)) for (const group of names) leave(member, group);
    },

    listGroupMembers(group) {
      const members = groups.get(group);
      return members === undefined ? [] : [...members.values()];
    },

    grantPermission(connectionId, permission, targetName) {
      const member = connections.get(connectionId);
      if (member === undefined) return false;
      member.permissions.grant(permission, targetName);
      return true;
    },
    revokePermission(connectionId, permission: Permission, targetName) {
      connections.get(connectionId)?.permissions.revoke(permission, targetName);
    },
    hasPermission(connectionId, permission, targetName) {
      return connections.get(connectionId)?.hasPermission(permission, targetName) ?? false;
    },
  };
}

/** A membership test for `excluded`; a Set only when the list is long enough to pay for one. */
function toExclusion(excluded: readonly string[] | undefined): ((connectionId: string) => boolean) | undefined {
  if (excluded === undefined || excluded.length === 0) return undefined;
  if (excluded.length <= 8) return (connectionId) => excluded.includes(connectionId);
  const set = new Set(excluded);
  return (connectionId) => set.has(connectionId);
}
