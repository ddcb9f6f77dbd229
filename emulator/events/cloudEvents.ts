/**
 * The CloudEvents binary-mode wire contract between the service and an event handler, named as in
 * the protocol notes (section 3.3) so the code can be read against them.
 */
import type { DataType } from '../hub/types.js';

export const CE_SPEC_VERSION = '1.0';
/** `@azure/web-pubsub-express` ignores any request (preflight included) without it. */
export const CE_AWPS_VERSION = '1.0';

/** Header names as the service spells them; HTTP header names are case-insensitive on receipt. */
export const Header = {
  specVersion: 'ce-specversion',
  awpsVersion: 'ce-awpsversion',
  type: 'ce-type',
  source: 'ce-source',
  id: 'ce-id',
  time: 'ce-time',
  hub: 'ce-hub',
  connectionId: 'ce-connectionId',
  eventName: 'ce-eventName',
  userId: 'ce-userId',
  subprotocol: 'ce-subprotocol',
  connectionState: 'ce-connectionState',
  signature: 'ce-signature',
  requestOrigin: 'WebHook-Request-Origin',
  allowedOrigin: 'WebHook-Allowed-Origin',
  /** Prefix of per-message metadata headers, both directions. */
  metadataPrefix: 'x-webpubsub-metadata-',
} as const;

export const SystemEventType = {
  connect: 'azure.webpubsub.sys.connect',
  connected: 'azure.webpubsub.sys.connected',
  disconnected: 'azure.webpubsub.sys.disconnected',
} as const;

export const USER_EVENT_TYPE_PREFIX = 'azure.webpubsub.user.';

/** The `{event}` value of the abuse-protection request. */
export const VALIDATE_EVENT = 'validate';

export const ceSource = (hub: string, connectionId: string): string => `/hubs/${hub}/client/${connectionId}`;

export const SYSTEM_EVENT_CONTENT_TYPE = 'application/json';

/** Content type of a user event request, by the payload's data type. */
export const CONTENT_TYPE_BY_DATA_TYPE: Readonly<Record<DataType, string>> = {
  text: 'text/plain',
  json: 'application/json',
  binary: 'application/octet-stream',
  protobuf: 'application/x-protobuf',
};

/**
 * Data type of a handler's reply, by media type (parameters such as `charset` ignored). A reply
 * without Content-Type is binary; any other media type is unsupported.
 */
export function dataTypeOfReply(contentType: string | undefined): DataType | undefined {
  if (contentType === undefined) return 'binary';
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  switch (mediaType) {
    case 'text/plain':
      return 'text';
    case 'application/json':
      return 'json';
    case 'application/octet-stream':
      return 'binary';
    case 'application/x-protobuf':
      return 'protobuf';
    default:
      return undefined;
  }
}

/** Largest handler response body read; bigger ones fail the event (the official emulator's cap). */
export const MAX_RESPONSE_BODY_BYTES = 16 * 1024 * 1024;
