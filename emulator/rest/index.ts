/**
 * The REST API (api-version 2024-12-01) as one request handler for every path under `/api/`
 * except the health check. This is the HTTP edge: it matches the route, authenticates, parses
 * the query, hands the operation plain values and writes what it decides.
 *
 * Checks run in the order the service answers them: unknown route 404 (405 for a known path
 * with another method), then 401, then 400 for the api-version, path values and query, then
 * 415/413/400 for the body, and only then does anything change.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorConfig } from '../config.js';
import { badRequest, notFound, ServiceError } from '../errors.js';
import type { HubRegistry } from '../hub/types.js';
import type { Logger } from '../log.js';
import { isValidHubName } from '../protocol/names.js';
import { authenticate, type RequestAddress } from './auth.js';
import { mediaTypeOf, readBody } from './body.js';
import { metadataFromHeaders } from './metadata.js';
import { OPERATIONS } from './operations/index.js';
import type { OperationContext, RestRequest } from './operations/types.js';
import { createCursorCodec } from './paging.js';
import { decodePathSegments } from './path.js';
import { QueryReader, SUPPORTED_API_VERSIONS } from './query.js';
import { sendRestError, sendResult } from './respond.js';
import { matchRoute } from './routes.js';

export interface RestDependencies {
  readonly config: EmulatorConfig;
  readonly hubs: HubRegistry;
  readonly log: Logger;
}

export type RestHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

const SUPPORTED_VERSIONS_HEADER = SUPPORTED_API_VERSIONS.join(', ');

export function createRestHandler(deps: RestDependencies): RestHandler {
  const context: OperationContext = {
    accessKeys: deps.config.accessKeys,
    cursors: createCursorCodec(),
    now: () => Math.floor(Date.now() / 1000),
  };
  return (req, res, url) => {
    res.setHeader('api-supported-versions', SUPPORTED_VERSIONS_HEADER);
    handle(req, res, url, deps, context).catch((error: unknown) => {
      sendRestError(res, error, deps.log);
    });
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  { config, hubs, log }: RestDependencies,
  context: OperationContext,
): Promise<void> {
  const address = addressOf(req, url);
  const method = req.method ?? 'GET';
  const match = matchRoute(method, decodePathSegments(address.rawPath));
  if (match.kind === 'unknown') throw notFound(`No REST operation matches ${method} ${clip(address.rawPath)}.`);
  if (match.kind === 'method-not-allowed') {
    res.setHeader('Allow', match.allowed.join(', '));
    throw new ServiceError(405, 'Error.MethodNotAllowed', `${method} is not allowed here; use ${match.allowed.join(' or ')}.`);
  }
  const { route, params } = match;

  authenticate(req.headers.authorization, address, { keys: config.accessKeys, allowUnverifiedEntraTokens: config.allowUnverifiedEntraTokens });
  const query = QueryReader.parse(address.rawQuery);
  const apiVersion = query.apiVersion();
  const hubName = params.hub ?? '';
  if (!isValidHubName(hubName)) {
    throw badRequest("The hub name must start with a letter and contain at most 128 letters, digits or _`,.[] characters.", 'hub');
  }

  let body: Promise<Buffer> | undefined;
  const request: RestRequest = {
    operation: route.operation,
    hubName,
    hub: hubs.get(hubName),
    params,
    apiVersion,
    query,
    address,
    mediaType: mediaTypeOf(req.headers['content-type']),
    readMetadata: () => metadataFromHeaders(req.headers),
    readBody: () => (body ??= readBody(req)),
  };
  const result = await OPERATIONS[route.operation](request, context);
  log.debug(`REST ${route.operation} ${hubName}: ${result.status}`);
  sendResult(res, result);
}

/** The request as its sender addressed (and signed) it: raw path and query, origin from Host. */
function addressOf(req: IncomingMessage, url: URL): RequestAddress {
  const target = req.url !== undefined && req.url.startsWith('/') ? req.url : `${url.pathname}${url.search}`;
  const question = target.indexOf('?');
  return {
    origin: `${url.protocol}//${req.headers.host ?? url.host}`,
    rawPath: question < 0 ? target : target.slice(0, question),
    rawQuery: question < 0 ? '' : target.slice(question + 1),
  };
}

function clip(text: string): string {
  return text.length <= 256 ? text : `${text.slice(0, 256)}...`;
}
