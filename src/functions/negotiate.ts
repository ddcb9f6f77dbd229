import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { validatePrincipalName, validateUserName } from '../chat/userName.js';
import type { Validation } from '../chat/validation.js';
import type { ChatConfig } from '../config.js';
import { errorResponse, jsonResponse } from '../http/responses.js';
import { getServices } from '../services.js';
import type { ChatHub } from '../webpubsub/chatHub.js';
import type { FunctionDescriptor } from './descriptor.js';

/** Client tokens are short-lived; the client SDK fetches a new one when it reconnects. */
export const TOKEN_LIFETIME_MINUTES = 60;

/** Set by App Service Authentication; client-supplied copies are stripped by the platform. */
const PRINCIPAL_NAME_HEADER = 'x-ms-client-principal-name';
const PRINCIPAL_ID_HEADER = 'x-ms-client-principal-id';

export interface NegotiateDependencies {
  readonly config: Pick<ChatConfig, 'hub' | 'platformAuthEnabled'>;
  readonly chatHub: Pick<ChatHub, 'issueClientAccess'>;
}

/** What the page (and the tutorial's page, which reads only `url`) gets from `/negotiate`. */
export interface NegotiateResponse {
  readonly url: string;
  readonly baseUrl: string;
  readonly token: string;
  readonly hub: string;
  readonly userId: string;
}

/**
 * `GET /negotiate?id=NAME` → a client access URL for that user. With App Service Authentication
 * on, the platform's principal headers name the user and `id` is ignored; without it those headers
 * are ordinary client input and are never read.
 */
export async function negotiate(request: HttpRequest, context: InvocationContext, deps: NegotiateDependencies): Promise<HttpResponseInit> {
  const identity = identify(request, deps.config.platformAuthEnabled);
  if (!identity.ok) {
    return deps.config.platformAuthEnabled
      ? errorResponse(401, identity.code, 'Sign in first.')
      : errorResponse(400, identity.code, identity.reason);
  }
  const access = await deps.chatHub.issueClientAccess(identity.value, TOKEN_LIFETIME_MINUTES);
  context.log(`negotiate: token issued for ${JSON.stringify(identity.value)}`);
  const body: NegotiateResponse = { ...access, hub: deps.config.hub, userId: identity.value };
  return jsonResponse(200, body);
}

function identify(request: HttpRequest, platformAuthEnabled: boolean): Validation<string> {
  if (platformAuthEnabled) {
    return validatePrincipalName(request.headers.get(PRINCIPAL_NAME_HEADER) ?? request.headers.get(PRINCIPAL_ID_HEADER));
  }
  return validateUserName(request.query.get('id'));
}

export const negotiateFunction: FunctionDescriptor = {
  name: 'negotiate',
  route: 'negotiate',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (request, context) => negotiate(request, context, getServices()),
};
