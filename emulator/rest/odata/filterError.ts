import type { FilterNode } from './ast.js';

/**
 * A problem found while parsing or checking a filter. Internal to `odata/`: `compileFilter` turns
 * it into the service's 400 answer. `node` is the expression the message points at; when it is
 * unset, the nearest enclosing operator or call claims the error (as the service reports it).
 */
export class FilterError extends Error {
  readonly node: FilterNode | undefined;

  constructor(detail: string, node?: FilterNode) {
    super(detail);
    this.name = 'FilterError';
    this.node = node;
  }

  /** The same problem, now pinned to `node`. */
  at(node: FilterNode): FilterError {
    return new FilterError(this.message, node);
  }
}
