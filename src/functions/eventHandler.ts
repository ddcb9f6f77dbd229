import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import {
  WebPubSubEventHandler,
  type ConnectRequest,
  type ConnectResponseHandler,
  type UserEventRequest,
  type UserEventResponseHandler,
} from '@azure/web-pubsub-express';
import { resolveConnectIdentity } from '../chat/identity.js';
import { readMessageText } from '../chat/messageText.js';
import { chatMessage, errorNotice, presenceNotice, type Stamp } from '../chat/payloads.js';
import type { ChatConfig } from '../config.js';
import { readBody } from '../http/body.js';
import { errorResponse } from '../http/responses.js';
import { getServices } from '../services.js';
import type { ChatHub } from '../webpubsub/chatHub.js';
import { runMiddleware, type Middleware } from '../webhook/expressAdapter.js';
import { allowedOrigin } from '../webhook/origin.js';
import type { ReplayGuard } from '../webhook/replayGuard.js';
import { secretsEqual } from '../webhook/digest.js';
import { verifySignature } from '../webhook/signature.js';
import type { FunctionDescriptor } from './descriptor.js';

/** System events the hub must send here (its `systemEvents` setting). */
export const HANDLED_SYSTEM_EVENTS = ['connect', 'connected', 'disconnected'] as const;
/** User events the hub must send here (its `userEventPattern`). */
export const HANDLED_USER_EVENTS = ['message'] as const;

/**
 * Client frames are at most 1 MiB; a connect body adds headers, claims and certificates. Anything
 * larger is not from Web PubSub.
 */
export const MAX_EVENT_BODY_BYTES = 2 * 1024 * 1024;

/** CloudEvents headers without which an event cannot be checked or attributed. */
const REQUIRED_HEADERS = ['ce-type', 'ce-id', 'ce-hub', 'ce-connectionid', 'ce-eventname'] as const;

export interface EventHandlerDependencies {
  readonly config: Pick<ChatConfig, 'hub' | 'webPubSub' | 'webhookKey' | 'allowedOrigins' | 'platformAuthEnabled'>;
  readonly chatHub: Pick<ChatHub, 'sendToAll'>;
  readonly replayGuard: ReplayGuard;
  readonly stamp: () => Stamp;
}

/**
 * `OPTIONS|POST /eventhandler`: Web PubSub's webhook. OPTIONS is the abuse-protection handshake;
 * POST is a CloudEvent, verified here (origin, signature or shared secret, freshness) and then
 * parsed and dispatched by `@azure/web-pubsub-express`.
 */
export async function handleEvent(request: HttpRequest, context: InvocationContext, deps: EventHandlerDependencies): Promise<HttpResponseInit> {
  if (request.method === 'OPTIONS') return answerAbuseProtection(request, context, deps.config);
  return handleCloudEvent(request, context, deps);
}

/** Names only an allowed Web PubSub host as allowed origin; never `*`. */
function answerAbuseProtection(request: HttpRequest, context: InvocationContext, config: EventHandlerDependencies['config']): HttpResponseInit {
  const header = request.headers.get('webhook-request-origin');
  if (header === null) return errorResponse(400, 'origin-missing', 'WebHook-Request-Origin header is missing.');
  const origin = allowedOrigin(header, config.allowedOrigins);
  if (origin === undefined) {
    context.warn(`eventhandler: refused abuse-protection request from origin ${JSON.stringify(header.slice(0, 100))}`);
    return errorResponse(400, 'origin-not-allowed', 'This origin may not send events here.');
  }
  return { status: 200, headers: { 'WebHook-Allowed-Origin': origin } };
}

async function handleCloudEvent(request: HttpRequest, context: InvocationContext, deps: EventHandlerDependencies): Promise<HttpResponseInit> {
  const { config } = deps;
  const originHeader = request.headers.get('webhook-request-origin');
  if (originHeader === null) return errorResponse(400, 'origin-missing', 'WebHook-Request-Origin header is missing.');
  if (allowedOrigin(originHeader, config.allowedOrigins) === undefined) {
    context.warn(`eventhandler: refused event from origin ${JSON.stringify(originHeader.slice(0, 100))}`);
    return errorResponse(401, 'origin-not-allowed', 'This origin may not send events here.');
  }
  const missing = REQUIRED_HEADERS.filter((name) => request.headers.get(name) === null);
  if (missing.length > 0) return errorResponse(400, 'cloudevent-incomplete', `Missing CloudEvents headers: ${missing.join(', ')}.`);
  const connectionId = request.headers.get('ce-connectionid') ?? '';
  const eventId = request.headers.get('ce-id') ?? '';

  if (!isAuthentic(request, connectionId, config)) {
    context.warn(`eventhandler: refused unverified event for connection ${JSON.stringify(connectionId.slice(0, 100))}`);
    return errorResponse(401, 'unverified', 'The event is not signed with a known access key or lacks the shared key.');
  }
  const hub = request.headers.get('ce-hub') ?? '';
  if (hub.toLowerCase() !== config.hub.toLowerCase()) {
    return errorResponse(400, 'unknown-hub', `This app serves hub ${config.hub}, not ${hub.slice(0, 128)}.`);
  }
  const body = await readBody(request, MAX_EVENT_BODY_BYTES);
  if (body === undefined) return errorResponse(413, 'body-too-large', `Event bodies are limited to ${MAX_EVENT_BODY_BYTES} bytes.`);

  const verdict = deps.replayGuard.admit(connectionId, eventId, request.headers.get('ce-time'));
  if (!verdict.ok) {
    context.warn(`eventhandler: refused event ${JSON.stringify(eventId.slice(0, 100))}: ${verdict.reason}`);
    return errorResponse(verdict.status, verdict.status === 409 ? 'replayed' : 'stale', `Refused: ${verdict.reason}.`);
  }

  let response: HttpResponseInit;
  try {
    response = await dispatch(request, body, context, deps);
  } catch (error) {
    // Let the service's retry of this very event through.
    deps.replayGuard.forget(connectionId, eventId);
    throw error;
  }
  if ((response.status ?? 200) >= 500) deps.replayGuard.forget(connectionId, eventId);
  return response;
}

/** Signature with the access keys when they are known, and the `?key=` secret when configured. */
function isAuthentic(request: HttpRequest, connectionId: string, config: EventHandlerDependencies['config']): boolean {
  const checks: boolean[] = [];
  if (config.webPubSub.kind === 'connectionString') {
    checks.push(verifySignature(request.headers.get('ce-signature'), connectionId, config.webPubSub.accessKeys));
  }
  if (config.webhookKey !== undefined) {
    checks.push(secretsEqual(request.query.get('key') ?? '', config.webhookKey));
  }
  // Fail closed: with nothing to check, nothing is authentic.
  return checks.length > 0 && checks.every(Boolean);
}

/**
 * Hands the event to `@azure/web-pubsub-express`. Its callbacks return nothing it waits for, and
 * it answers non-blocking events before running them, so each callback's work is collected here
 * and awaited before the function returns: the Functions host may freeze the process afterwards.
 */
async function dispatch(request: HttpRequest, body: Uint8Array, context: InvocationContext, deps: EventHandlerDependencies): Promise<HttpResponseInit> {
  const work: Promise<void>[] = [];
  const handler = new WebPubSubEventHandler(deps.config.hub, {
    // The Functions host has routed the request already; let the middleware's path filter pass it.
    path: new URL(request.url).pathname,
    handleConnect: (req, res) => work.push(failOnError(() => { handleConnect(req, res, context, deps); }, res, context)),
    onConnected: (req) => work.push(announce('joined', req.context.userId, context, deps)),
    onDisconnected: (req) => work.push(announce('left', req.context.userId, context, deps)),
    handleUserEvent: (req, res) => work.push(failOnError(() => handleUserEvent(req, res, context, deps), res, context)),
  });
  // The package types its middleware with Express's types; it uses only what the adapter provides.
  const middleware = handler.getMiddleware() as unknown as Middleware;
  const headers: [string, string][] = [];
  request.headers.forEach((value, name) => headers.push([name, value]));
  const outcome = await runMiddleware(middleware, { method: request.method, url: request.url, headers, body });
  await Promise.all(work);
  if (outcome.kind === 'response') return outcome.response;
  if (outcome.error instanceof SyntaxError) {
    return errorResponse(400, 'cloudevent-malformed', 'The event body is not valid JSON.');
  }
  if (outcome.error !== undefined) throw outcome.error instanceof Error ? outcome.error : new Error('event handler middleware failed', { cause: outcome.error });
  return errorResponse(400, 'cloudevent-unsupported', 'Not a Web PubSub CloudEvent this handler accepts (check ce-awpsversion, ce-type and Content-Type).');
}

/** A blocking event must always be answered, or the service (and the adapter) would wait. */
async function failOnError(work: () => Promise<void> | void, res: { fail(code: 500, detail?: string): void }, context: InvocationContext): Promise<void> {
  try {
    await work();
  } catch (error) {
    context.error('eventhandler: handler failed:', error);
    res.fail(500, 'The event could not be handled.');
  }
}

function handleConnect(req: ConnectRequest, res: ConnectResponseHandler, context: InvocationContext, deps: EventHandlerDependencies): void {
  const identity = resolveConnectIdentity({ claims: req.claims, query: req.queries, platformAuthEnabled: deps.config.platformAuthEnabled });
  if (!identity.ok) {
    context.log(`connect refused for ${req.context.connectionId}: ${identity.code}`);
    res.fail(401, identity.reason);
    return;
  }
  res.success({ userId: identity.value });
}

/** Tells everyone that someone joined or left; a failure is logged (nobody waits for it). */
async function announce(kind: 'joined' | 'left', userId: string | undefined, context: InvocationContext, deps: EventHandlerDependencies): Promise<void> {
  if (userId === undefined || userId === '') return;
  try {
    await deps.chatHub.sendToAll(presenceNotice(kind, userId, deps.stamp()));
  } catch (error) {
    context.error(`could not announce that ${userId} ${kind}:`, error);
  }
}

async function handleUserEvent(req: UserEventRequest, res: UserEventResponseHandler, context: InvocationContext, deps: EventHandlerDependencies): Promise<void> {
  const reply = (code: string, message: string): void => {
    res.success(JSON.stringify(errorNotice(code, message)), 'json');
  };
  if (!(HANDLED_USER_EVENTS as readonly string[]).includes(req.context.eventName)) {
    res.fail(400, `Unsupported event ${req.context.eventName}; send "message".`);
    return;
  }
  const from = req.context.userId;
  if (from === undefined || from === '') {
    reply('name-missing', 'Connect with a name before sending messages.');
    return;
  }
  const text = readMessageText(req.data, req.dataType);
  if (!text.ok) {
    reply(text.code, text.reason);
    return;
  }
  try {
    await deps.chatHub.sendToAll(chatMessage(from, text.value, deps.stamp()));
    res.success();
  } catch (error) {
    context.error('could not broadcast a message:', error);
    // The sender's ack reports the failure, so the page can say "not delivered".
    res.fail(500, 'The message could not be delivered.');
  }
}

export const eventHandlerFunction: FunctionDescriptor = {
  name: 'eventhandler',
  route: 'eventhandler',
  methods: ['OPTIONS', 'POST'],
  authLevel: 'anonymous',
  handler: (request, context) => handleEvent(request, context, getServices()),
};
