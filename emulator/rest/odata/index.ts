import { badRequest, type ServiceError } from '../../errors.js';
import type { ConnectionFilter } from '../../hub/types.js';
import { compileChecked } from './compile.js';
import { FilterError } from './filterError.js';
import { parseFilter } from './parser.js';
import { printFilter } from './print.js';
import { checkFilter } from './typecheck.js';

export { MAX_FILTER_CLAUSES, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from './parser.js';

/** Error messages quote the offending expression; a hostile filter should not make them huge. */
const MAX_QUOTED_LENGTH = 256;

/**
 * Compiles the `filter` of a REST request into a predicate over connections, or `undefined`
 * (every connection) when the filter is empty. Invalid filters throw the service's 400:
 * `{"code":"Error.BadRequest","message":"Invalid syntax for '<expr>': <detail> (Parameter 'filter')","target":"Request"}`.
 */
export function compileFilter(filter: string): ConnectionFilter | undefined {
  if (filter.length === 0) return undefined;
  try {
    const tree = parseFilter(filter);
    checkFilter(tree);
    return compileChecked(tree);
  } catch (error) {
    if (error instanceof FilterError) throw invalidFilter(filter, error);
    throw error;
  }
}

function invalidFilter(filter: string, error: FilterError): ServiceError {
  const where = error.node === undefined ? filter : printFilter(error.node);
  return badRequest(`Invalid syntax for '${quote(where)}': ${error.message} (Parameter 'filter')`, 'Request');
}

function quote(text: string): string {
  return text.length <= MAX_QUOTED_LENGTH ? text : `${text.slice(0, MAX_QUOTED_LENGTH)}...`;
}
