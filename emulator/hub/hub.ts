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

/** A connection as the hub tracks it: what filters see, plus its client and permissions. */
class Member implements ConnectionInfo, GroupMember {
  readonly connectionId: string;
  readonly userId: string | undefined;
  readonly protocol: string | undefined;
  readonly groups = new Set<string>();
  readonly client: HubClient;
  readonly permissions: Permissions;

  constructor(client: HubClient, permissions: Permissions) {
    this.client = client;
    this.connectionId = client.connectionId;
    this.userId = client.userId;
    this.protocol = client.protocol;
    this.permissions = permissions;
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
  const users = new Map<string, Set<Member>>();
  const groups = new Map<string, Map<string, Member>>();

  function join(member: Member, group: string): void {
    if (member.groups.has(group)) return;
    member.groups.add(group);
    let members = groups.get(group);
    if (members === undefined) {
      members = new Map();
      groups.set(group, members);
    }
    members.set(member.connectionId, member);
  }

  function leave(member: Member, group: string): void {
    if (!member.groups.delete(group)) return;
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
      const member = new Member(client, Permissions.fromRoles(roles));
      connections.set(member.connectionId, member);
      if (member.userId !== undefined) {
        let mine = users.get(member.userId);
        if (mine === undefined) {
          mine = new Set();
          users.set(member.userId, mine);
        }
        mine.add(member);
      }
    },

    removeConnection(connectionId) {
      const member = connections.get(connectionId);
      if (member === undefined) return;
      leaveAll(member);
      connections.delete(connectionId);
      if (member.userId !== undefined) {
        const mine = users.get(member.userId);
        mine?.delete(member);
        if (mine?.size === 0) users.delete(member.userId);
      }
    },

    sendToAll(message, options) {
      fanOut(connections.values(), message, options);
    },
    sendToUser(userId, message, options) {
      const mine = users.get(userId);
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
      closeMembers(users.get(userId), options);
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
      const mine = users.get(userId);
      if (mine === undefined) return false;
      for (const member of mine) join(member, group);
      return true;
    },
    removeUserFromGroup(group, userId) {
      for (const member of users.get(userId) ?? []) leave(member, group);
    },
    removeUserFromAllGroups(userId) {
      for (const member of users.get(userId) ?? []) leaveAll(member);
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
      return connections.get(connectionId)?.permissions.has(permission, targetName) ?? false;
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
