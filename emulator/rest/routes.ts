/**
 * The REST surface of api-version 2024-12-01, operation for operation, named as in the
 * specification (`specification/webpubsub/data-plane/WebPubSub/routes.tsp`; the swagger's
 * operationIds are these names with a `WebPubSub_` prefix). `HEAD /api/health` belongs to the
 * server itself and is not listed here.
 */

export type OperationId =
  | 'addConnectionsToGroups'
  | 'closeAllConnections'
  | 'generateClientToken'
  | 'removeConnectionsFromGroups'
  | 'sendToAll'
  | 'closeConnection'
  | 'connectionExists'
  | 'sendToConnection'
  | 'removeConnectionFromAllGroups'
  | 'groupExists'
  | 'closeGroupConnections'
  | 'sendToGroup'
  | 'listConnectionsInGroup'
  | 'removeConnectionFromGroup'
  | 'addConnectionToGroup'
  | 'revokePermission'
  | 'checkPermission'
  | 'grantPermission'
  | 'userExists'
  | 'closeUserConnections'
  | 'sendToUser'
  | 'removeUserFromAllGroups'
  | 'removeUserFromGroup'
  | 'addUserToGroup';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

export type PathParamName = 'hub' | 'connectionId' | 'userId' | 'group' | 'permission';

/** Decoded path parameters; which ones are set depends on the route. */
export type PathParams = Readonly<Partial<Record<PathParamName, string>>>;

export interface Route {
  readonly operation: OperationId;
  readonly method: HttpMethod;
  readonly path: string;
}

/** Every operation with its method and path template, in the specification's order. */
export const ROUTES: readonly Route[] = [
  { operation: 'addConnectionsToGroups', method: 'POST', path: '/api/hubs/{hub}/:addToGroups' },
  { operation: 'closeAllConnections', method: 'POST', path: '/api/hubs/{hub}/:closeConnections' },
  { operation: 'generateClientToken', method: 'POST', path: '/api/hubs/{hub}/:generateToken' },
  { operation: 'removeConnectionsFromGroups', method: 'POST', path: '/api/hubs/{hub}/:removeFromGroups' },
  { operation: 'sendToAll', method: 'POST', path: '/api/hubs/{hub}/:send' },
  { operation: 'closeConnection', method: 'DELETE', path: '/api/hubs/{hub}/connections/{connectionId}' },
  { operation: 'connectionExists', method: 'HEAD', path: '/api/hubs/{hub}/connections/{connectionId}' },
  { operation: 'sendToConnection', method: 'POST', path: '/api/hubs/{hub}/connections/{connectionId}/:send' },
  { operation: 'removeConnectionFromAllGroups', method: 'DELETE', path: '/api/hubs/{hub}/connections/{connectionId}/groups' },
  { operation: 'groupExists', method: 'HEAD', path: '/api/hubs/{hub}/groups/{group}' },
  { operation: 'closeGroupConnections', method: 'POST', path: '/api/hubs/{hub}/groups/{group}/:closeConnections' },
  { operation: 'sendToGroup', method: 'POST', path: '/api/hubs/{hub}/groups/{group}/:send' },
  { operation: 'listConnectionsInGroup', method: 'GET', path: '/api/hubs/{hub}/groups/{group}/connections' },
  { operation: 'removeConnectionFromGroup', method: 'DELETE', path: '/api/hubs/{hub}/groups/{group}/connections/{connectionId}' },
  { operation: 'addConnectionToGroup', method: 'PUT', path: '/api/hubs/{hub}/groups/{group}/connections/{connectionId}' },
  { operation: 'revokePermission', method: 'DELETE', path: '/api/hubs/{hub}/permissions/{permission}/connections/{connectionId}' },
  { operation: 'checkPermission', method: 'HEAD', path: '/api/hubs/{hub}/permissions/{permission}/connections/{connectionId}' },
  { operation: 'grantPermission', method: 'PUT', path: '/api/hubs/{hub}/permissions/{permission}/connections/{connectionId}' },
  { operation: 'userExists', method: 'HEAD', path: '/api/hubs/{hub}/users/{userId}' },
  { operation: 'closeUserConnections', method: 'POST', path: '/api/hubs/{hub}/users/{userId}/:closeConnections' },
  { operation: 'sendToUser', method: 'POST', path: '/api/hubs/{hub}/users/{userId}/:send' },
  { operation: 'removeUserFromAllGroups', method: 'DELETE', path: '/api/hubs/{hub}/users/{userId}/groups' },
  { operation: 'removeUserFromGroup', method: 'DELETE', path: '/api/hubs/{hub}/users/{userId}/groups/{group}' },
  { operation: 'addUserToGroup', method: 'PUT', path: '/api/hubs/{hub}/users/{userId}/groups/{group}' },
];

export type RouteMatch =
  | { readonly kind: 'operation'; readonly route: Route; readonly params: PathParams }
  /** The path exists but not with this method. */
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly HttpMethod[] }
  | { readonly kind: 'unknown' };

type Segment = { readonly literal: string } | { readonly param: PathParamName };

interface CompiledRoute {
  readonly route: Route;
  readonly segments: readonly Segment[];
}

const COMPILED: readonly CompiledRoute[] = ROUTES.map((route) => ({
  route,
  segments: route.path
    .slice(1)
    .split('/')
    .map((part): Segment => (part.startsWith('{') ? { param: part.slice(1, -1) as PathParamName } : { literal: part })),
}));

/** Matches decoded path segments (see `path.ts`) against the table. */
export function matchRoute(method: string, segments: readonly string[]): RouteMatch {
  const allowed: HttpMethod[] = [];
  for (const compiled of COMPILED) {
    const params = matchSegments(compiled.segments, segments);
    if (params === undefined) continue;
    if (compiled.route.method === method) return { kind: 'operation', route: compiled.route, params };
    allowed.push(compiled.route.method);
  }
  return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'unknown' };
}

function matchSegments(pattern: readonly Segment[], segments: readonly string[]): PathParams | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Partial<Record<PathParamName, string>> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i];
    const actual = segments[i];
    if (expected === undefined || actual === undefined) return undefined;
    if ('literal' in expected) {
      if (expected.literal !== actual) return undefined;
    } else {
      params[expected.param] = actual;
    }
  }
  return params;
}
