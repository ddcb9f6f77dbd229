import { badRequest } from '../errors.js';

/**
 * Typed, validated access to a request's query string. Names are the specification's (they are
 * case-sensitive, as in the service). A parameter that takes one value is refused when repeated,
 * rather than silently picking one.
 */

/** The GA versions of the data-plane API; requests without `api-version` get the newest. */
export const SUPPORTED_API_VERSIONS: readonly string[] = ['2021-10-01', '2022-11-01', '2023-07-01', '2024-01-01', '2024-12-01'];
export const LATEST_API_VERSION = '2024-12-01';

const UNSIGNED_INTEGER = /^[0-9]{1,10}$/;

export interface IntegerRange {
  readonly min: number;
  readonly max: number;
}

export class QueryReader {
  constructor(private readonly params: URLSearchParams) {}

  static parse(rawQuery: string): QueryReader {
    return new QueryReader(new URLSearchParams(rawQuery));
  }

  /** The single value of `name`, or undefined when absent. */
  optionalString(name: string): string | undefined {
    const values = this.params.getAll(name);
    if (values.length > 1) throw badRequest(`The query parameter '${name}' must be given at most once.`, name);
    return values[0];
  }

  /** Every value of a repeated parameter (`excluded=a&excluded=b`), in order. */
  list(name: string): string[] {
    return this.params.getAll(name);
  }

  optionalInteger(name: string, range: IntegerRange): number | undefined {
    const text = this.optionalString(name);
    if (text === undefined) return undefined;
    const value = UNSIGNED_INTEGER.test(text) ? Number(text) : Number.NaN;
    if (!(value >= range.min && value <= range.max)) {
      throw badRequest(`The query parameter '${name}' must be an integer from ${range.min} to ${range.max}; got '${clip(text)}'.`, name);
    }
    return value;
  }

  /** The request's api-version (absent: the newest); only GA versions are accepted. */
  apiVersion(): string {
    const version = this.optionalString('api-version');
    if (version === undefined) return LATEST_API_VERSION;
    if (!SUPPORTED_API_VERSIONS.includes(version)) {
      throw badRequest(
        `The api-version '${clip(version)}' is not supported; use one of ${SUPPORTED_API_VERSIONS.join(', ')}.`,
        'api-version',
      );
    }
    return version;
  }
}

/** Echoed values are shortened: error messages should not grow with hostile input. */
function clip(text: string): string {
  return text.length <= 64 ? text : `${text.slice(0, 64)}...`;
}
