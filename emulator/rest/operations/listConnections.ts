import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, selectPage } from '../paging.js';
import { groupParam } from './params.js';
import type { Operation } from './types.js';

/**
 * `GET .../groups/{group}/connections`: one page of members plus a `nextLink` when more remain.
 * `top` caps the total across pages, so the nextLink carries what is left of it. The SDK follows
 * nextLink verbatim without adding `api-version`, so the link repeats it (and `maxpagesize`).
 * A group nobody is in lists as empty.
 */

const PAGE_SIZE = { min: 1, max: MAX_PAGE_SIZE } as const;
const TOP = { min: 1, max: 2147483647 } as const;

export const listConnectionsInGroup: Operation = ({ hub, hubName, params, apiVersion, query, address }, { cursors }) => {
  const group = groupParam(params);
  const pageSize = query.optionalInteger('maxpagesize', PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
  const top = query.optionalInteger('top', TOP);
  const scope = `${hubName.toLowerCase()}\n${group}`;
  const token = query.optionalString('continuationToken');
  const after = token === undefined ? undefined : cursors.decode(scope, token);

  const page = selectPage(hub.listGroupMembers(group), after, Math.min(pageSize, top ?? pageSize));
  const value = page.members.map(({ connectionId, userId }) => (userId === undefined ? { connectionId } : { connectionId, userId }));
  const remaining = top === undefined ? undefined : top - value.length;
  const last = page.members[page.members.length - 1];
  if (!page.more || last === undefined || remaining === 0) return { status: 200, body: { value } };

  const next = new URLSearchParams({ 'api-version': apiVersion, maxpagesize: String(pageSize) });
  if (remaining !== undefined) next.set('top', String(remaining));
  next.set('continuationToken', cursors.encode(scope, last.connectionId));
  return { status: 200, body: { value, nextLink: `${address.origin}${address.rawPath}?${next.toString()}` } };
};
