/** The `Sec-WebSocket-Protocol` values of the Web PubSub client protocols. */
export const Subprotocol = {
  Json: 'json.webpubsub.azure.v1',
  JsonReliable: 'json.reliable.webpubsub.azure.v1',
  Protobuf: 'protobuf.webpubsub.azure.v1',
  ProtobufReliable: 'protobuf.reliable.webpubsub.azure.v1',
} as const;

export type SubprotocolName = (typeof Subprotocol)[keyof typeof Subprotocol];

/** What this emulator speaks, in order of preference when nothing else decides. */
export const SUPPORTED_SUBPROTOCOLS: readonly string[] = [Subprotocol.Json, Subprotocol.JsonReliable, Subprotocol.Protobuf, Subprotocol.ProtobufReliable];

export function isSupportedSubprotocol(name: string): boolean {
  return SUPPORTED_SUBPROTOCOLS.includes(name);
}

/** The constant for a supported name, so connections share one string instead of each keeping the header's copy. */
export function canonicalSubprotocol(name: string | undefined): string | undefined {
  return name === undefined ? undefined : (SUPPORTED_SUBPROTOCOLS.find((supported) => supported === name) ?? name);
}

export function isReliableSubprotocol(name: string | undefined): boolean {
  return name === Subprotocol.JsonReliable || name === Subprotocol.ProtobufReliable;
}

/**
 * The offered subprotocols of a `Sec-WebSocket-Protocol` header, in order. Splitting on commas and
 * trimming (rather than a regular expression) keeps the cost linear for hostile headers.
 */
export function parseOfferedSubprotocols(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
}
