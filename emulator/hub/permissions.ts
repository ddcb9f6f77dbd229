import type { Permission } from './types.js';
import { compileWildcard, type WildcardPattern } from './wildcard.js';

const ROLE_PREFIX = 'webpubsub.';

/** Maps each permission to its literal and wildcard role names. */
const ROLE_NAMES: Readonly<Record<Permission, { readonly literal: string; readonly wildcard: string }>> = {
  joinLeaveGroup: { literal: 'joinLeaveGroup', wildcard: 'joinLeaveGroups' },
  sendToGroup: { literal: 'sendToGroup', wildcard: 'sendToGroups' },
};

/** What one permission allows: every group, some literal groups, some patterns. */
class Grant {
  all = false;
  groups: Set<string> | undefined;
  patterns: WildcardPattern[] | undefined;

  allows(group: string | undefined): boolean {
    if (this.all) return true;
    if (group === undefined) return false;
    if (this.groups?.has(group) === true) return true;
    return this.patterns?.some((pattern) => pattern.matches(group)) ?? false;
  }
}

/**
 * A connection's group permissions, from its roles and then runtime grants and revokes. Empty
 * grants are not allocated: most connections hold one or two roles.
 */
export class Permissions {
  private joinLeave: Grant | undefined;
  private send: Grant | undefined;

  static fromRoles(roles: readonly string[]): Permissions {
    const permissions = new Permissions();
    for (const role of roles) permissions.addRole(role);
    return permissions;
  }

  /** Unknown roles are ignored, as the service does. */
  addRole(role: string): void {
    if (!role.startsWith(ROLE_PREFIX)) return;
    const rest = role.slice(ROLE_PREFIX.length);
    for (const permission of ['joinLeaveGroup', 'sendToGroup'] as const) {
      const names = ROLE_NAMES[permission];
      if (rest === names.literal) this.grant(permission, undefined);
      else if (rest.startsWith(`${names.literal}.`)) this.grant(permission, rest.slice(names.literal.length + 1));
      else if (rest.startsWith(`${names.wildcard}.`)) {
        const pattern = compileWildcard(rest.slice(names.wildcard.length + 1));
        if (pattern !== undefined) (this.grantOf(permission).patterns ??= []).push(pattern);
      }
    }
  }

  /** `group` undefined grants every group. */
  grant(permission: Permission, group: string | undefined): void {
    const grant = this.grantOf(permission);
    if (group === undefined) grant.all = true;
    else (grant.groups ??= new Set()).add(group);
  }

  /** `group` undefined revokes the permission for every group, whatever granted it. */
  revoke(permission: Permission, group: string | undefined): void {
    if (group === undefined) {
      this.setGrant(permission, undefined);
      return;
    }
    this.current(permission)?.groups?.delete(group);
  }

  /** `group` undefined asks whether every group is allowed. */
  has(permission: Permission, group: string | undefined): boolean {
    return this.current(permission)?.allows(group) ?? false;
  }

  private current(permission: Permission): Grant | undefined {
    return permission === 'joinLeaveGroup' ? this.joinLeave : this.send;
  }

  private grantOf(permission: Permission): Grant {
    let grant = this.current(permission);
    if (grant === undefined) {
      grant = new Grant();
      this.setGrant(permission, grant);
    }
    return grant;
  }

  private setGrant(permission: Permission, grant: Grant | undefined): void {
    if (permission === 'joinLeaveGroup') this.joinLeave = grant;
    else this.send = grant;
  }
}
