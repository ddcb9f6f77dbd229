import type { FilterNode } from './ast.js';

/**
 * Renders a (sub)expression for error messages, in the service's style: operators of nested
 * operations are parenthesized, call arguments are joined by a bare comma.
 */
export function printFilter(node: FilterNode): string {
  switch (node.kind) {
    case 'literal':
      return node.text;
    case 'identifier':
      return node.name;
    case 'binary':
      return `${wrap(node.left)} ${node.operator} ${wrap(node.right)}`;
    case 'not':
      return `not ${wrap(node.operand)}`;
    case 'in':
      return `${printFilter(node.left)} in ${printFilter(node.right)}`;
    case 'list':
      return `(${node.items.map(printFilter).join(',')})`;
    case 'call':
      return `${node.name}(${node.args.map(printFilter).join(',')})`;
  }
}

function wrap(node: FilterNode): string {
  const text = printFilter(node);
  return node.kind === 'binary' || node.kind === 'not' || node.kind === 'in' ? `(${text})` : text;
}
