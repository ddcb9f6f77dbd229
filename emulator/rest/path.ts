import { badRequest } from '../errors.js';

/**
 * Request-path decoding. The path is split on raw `/` first, then each segment is percent-decoded
 * (UTF-8), except that an encoded slash (`%2F`/`%2f`) stays as those three literal characters.
 *
 * That is how the service's ASP.NET stack (and Microsoft's emulator) binds route values, so a
 * user id containing `/` is not addressable through REST paths here either, and nothing that
 * works locally fails in Azure for this reason. `tenant%252Falice` decodes to `tenant%2Falice`,
 * the same string a raw `tenant%2Falice` keeps: an ambiguity the service has as well.
 */

const ENCODED_SLASH = /(%2[fF])/;

/** The decoded segments of a path that starts with `/`; `/a//b` has an empty middle segment. */
export function decodePathSegments(rawPath: string): string[] {
  return rawPath.slice(1).split('/').map(decodeSegment);
}

function decodeSegment(raw: string): string {
  if (!raw.includes('%')) return raw;
  // split with a capturing group keeps the separators at odd indexes
  return raw
    .split(ENCODED_SLASH)
    .map((part, index) => (index % 2 === 1 ? part : decodePart(part)))
    .join('');
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw badRequest('The request path is not validly percent-encoded UTF-8.', 'Request');
  }
}
