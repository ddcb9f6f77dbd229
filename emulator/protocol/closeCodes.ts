/** WebSocket close codes the service uses (RFC 6455 section 7.4.1). */
export const CloseCode = {
  /** Service-initiated close (REST), or a client ending its session. */
  Normal: 1000,
  /** The emulator is shutting down; from a client (a closing browser tab), the session ends. */
  GoingAway: 1001,
  /** A binary frame on a JSON subprotocol. */
  UnsupportedData: 1003,
  /** The socket went away without a close frame (never sent on the wire). */
  Abnormal: 1006,
  /** A frame that is not a valid message of the subprotocol. */
  InvalidPayload: 1007,
  /** Recovery refused, reliable buffer overflow, flooding: tells the SDK not to recover. */
  PolicyViolation: 1008,
  /** A frame over the 1 MiB limit. */
  MessageTooBig: 1009,
  /** A raw client's event failed upstream. */
  InternalError: 1011,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** Close reasons are limited to 123 bytes of UTF-8; longer ones are cut at a character boundary. */
export function limitCloseReason(reason: string): string {
  if (Buffer.byteLength(reason, 'utf8') <= 123) return reason;
  let cut = '';
  for (const char of reason) {
    if (Buffer.byteLength(cut + char, 'utf8') > 120) break;
    cut += char;
  }
  return `${cut}...`;
}
