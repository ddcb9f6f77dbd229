import { codePointLength, FORBIDDEN_CHARACTERS, invalid, valid, type Validation } from './validation.js';

export const MAX_MESSAGE_LENGTH = 2000;

/** How the data of a user event arrived (the CloudEvent's content type). */
export type EventDataType = 'text' | 'json' | 'binary';

/**
 * Extracts the chat text from a `message` event. Raw WebSocket clients (like the tutorial's page)
 * send text frames; subprotocol clients send `dataType: text`, or JSON: either a string or an
 * object `{ "message": "..." }`. Binary and other JSON shapes are refused.
 */
export function readMessageText(data: unknown, dataType: EventDataType): Validation<string> {
  if (dataType === 'binary') {
    return invalid('message-unsupported-type', 'Send chat messages as text, not binary data.');
  }
  if (dataType === 'text' || typeof data === 'string') return validateMessageText(data);
  if (typeof data === 'object' && data !== null && !Array.isArray(data) && Object.hasOwn(data, 'message')) {
    return validateMessageText((data as { message: unknown }).message);
  }
  return invalid('message-unsupported-type', 'Send text, a JSON string or a JSON object {"message": "..."}.');
}

/** Validates chat text: a non-empty string of at most MAX_MESSAGE_LENGTH visible characters. */
export function validateMessageText(input: unknown): Validation<string> {
  if (typeof input !== 'string') {
    return invalid('message-unsupported-type', 'The message must be text.');
  }
  // Bound the work before counting code points: four UTF-16 units per code point at most.
  if (input.length > MAX_MESSAGE_LENGTH * 4) {
    return invalid('message-too-long', `Messages are limited to ${MAX_MESSAGE_LENGTH} characters.`);
  }
  const text = input.trim();
  if (text === '') return invalid('message-empty', 'The message is empty.');
  if (codePointLength(text) > MAX_MESSAGE_LENGTH) {
    return invalid('message-too-long', `Messages are limited to ${MAX_MESSAGE_LENGTH} characters.`);
  }
  if (FORBIDDEN_CHARACTERS.test(text)) {
    return invalid('message-invalid-characters', 'The message contains control characters.');
  }
  return valid(text);
}
