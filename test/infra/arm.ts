// A partial evaluator for compiled ARM templates, enough to check what a
// deployment would create without Azure: it walks nested deployments (Bicep
// modules), passes parameters in, evaluates the template language functions
// the checks need, and keeps everything only known at deploy time (reference(),
// uniqueString(), subscription() ...) as an Opaque value that remembers its
// source text and whether a secure parameter flowed into it.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A value only known at deployment time. `text` renders it with unknown parts in ⟨⟩. */
export class Opaque {
  constructor(
    readonly text: string,
    readonly secure: boolean,
    /** True when the whole value is one unknown (text is a single ⟨...⟩). */
    readonly atom = false,
  ) {}
  toString(): string {
    return this.text;
  }
}

export type Value = null | boolean | number | string | Opaque | Value[] | { [key: string]: Value };

export interface Context {
  /** Parameter values of the template being evaluated. */
  readonly parameters: ReadonlyMap<string, Value>;
  /** Raw variable definitions, evaluated on use. */
  readonly variables: JsonObject;
  /** Index of the current copy loop iteration. */
  readonly copyIndex: number;
  /** Outputs of the nested deployments this template creates, by deployment name (known from an earlier pass). */
  readonly deployments: ReadonlyMap<string, ReadonlyMap<string, Value>>;
  /** Symbolic resource name -> deployment name (languageVersion 2.0 templates). */
  readonly symbols: ReadonlyMap<string, string>;
}

export interface Resource {
  type: string;
  apiVersion: string | undefined;
  /** Names of the enclosing deployments, outermost first. */
  deployment: string[];
  existing: boolean;
  copyIndex: number;
  /** The resource with every expression evaluated (a deployment's inner template is left out). */
  value: { [key: string]: Value };
}

export interface Output {
  deployment: string[];
  name: string;
  raw: Json;
  value: Value;
}

export interface NestedParameter {
  deployment: string[];
  name: string;
  /** Declared type inside the nested template. */
  innerType: string;
  value: Value;
}

export interface Evaluation {
  resources: Resource[];
  outputs: Output[];
  /** Every parameter passed into a nested deployment. */
  nestedParameters: NestedParameter[];
}

// ---------------------------------------------------------------- parsing

type Node =
  | { kind: 'string'; value: string; text: string }
  | { kind: 'number'; value: number; text: string }
  | { kind: 'identifier'; name: string; text: string }
  | { kind: 'call'; name: string; args: Node[]; text: string }
  | { kind: 'property'; target: Node; name: string; text: string }
  | { kind: 'index'; target: Node; index: Node; text: string };

class Parser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.expression();
    this.skip();
    if (this.pos !== this.src.length) throw this.error('unexpected trailing input');
    return node;
  }

  private error(message: string): Error {
    return new Error(`${message} at ${this.pos} in [${this.src}]`);
  }

  private skip(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos] ?? '')) this.pos++;
  }

  private peek(): string {
    this.skip();
    return this.src[this.pos] ?? '';
  }

  private expect(char: string): void {
    if (this.peek() !== char) throw this.error(`expected '${char}'`);
    this.pos++;
  }

  private expression(): Node {
    const start = (this.skip(), this.pos);
    let node = this.primary();
    for (;;) {
      const next = this.peek();
      if (next === '.') {
        this.pos++;
        const name = this.identifier();
        node = { kind: 'property', target: node, name, text: this.src.slice(start, this.pos) };
      } else if (next === '[') {
        this.pos++;
        const index = this.expression();
        this.expect(']');
        node = { kind: 'index', target: node, index, text: this.src.slice(start, this.pos) };
      } else {
        return node;
      }
    }
  }

  private identifier(): string {
    this.skip();
    const match = /^[A-Za-z_$][\w$]*/.exec(this.src.slice(this.pos));
    if (!match) throw this.error('expected an identifier');
    this.pos += match[0].length;
    return match[0];
  }

  private primary(): Node {
    const start = (this.skip(), this.pos);
    const char = this.peek();
    if (char === "'") {
      this.pos++;
      let value = '';
      for (;;) {
        const c = this.src[this.pos];
        if (c === undefined) throw this.error('unterminated string');
        this.pos++;
        if (c === "'") {
          if (this.src[this.pos] === "'") {
            value += "'";
            this.pos++;
            continue;
          }
          break;
        }
        value += c;
      }
      return { kind: 'string', value, text: this.src.slice(start, this.pos) };
    }
    const number = /^-?\d+(\.\d+)?/.exec(this.src.slice(this.pos));
    if (number) {
      this.pos += number[0].length;
      return { kind: 'number', value: Number(number[0]), text: number[0] };
    }
    const name = this.identifier();
    if (this.peek() !== '(') return { kind: 'identifier', name, text: name };
    this.pos++;
    const args: Node[] = [];
    if (this.peek() === ')') {
      this.pos++;
    } else {
      for (;;) {
        args.push(this.expression());
        const sep = this.peek();
        this.pos++;
        if (sep === ')') break;
        if (sep !== ',') throw this.error("expected ',' or ')'");
      }
    }
    return { kind: 'call', name, args, text: this.src.slice(start, this.pos) };
  }
}

/** True for a JSON string that ARM treats as an expression. */
export function isExpression(value: string): boolean {
  return value.startsWith('[') && value.endsWith(']') && !value.startsWith('[[');
}

// ---------------------------------------------------------------- values

function opaqueAtom(text: string, secure: boolean): Opaque {
  return new Opaque(`⟨${text}⟩`, secure, true);
}

/** `target.suffix` for an unknown target, kept as one unknown. */
function extendOpaque(target: Opaque, suffix: string, secure: boolean): Opaque {
  const inner = target.atom ? target.text.slice(1, -1) : `(${target.text})`;
  return opaqueAtom(`${inner}${suffix}`, secure);
}

/** The text with every unknown part replaced by `placeholder`, for checking the known parts. */
export function sample(value: Value, placeholder = 'x'): string {
  return render(value).replace(/⟨[^⟩]*⟩/g, placeholder);
}

/** True when a secure parameter's value is in `value` (at any depth). */
export function isSecure(value: Value): boolean {
  if (value instanceof Opaque) return value.secure;
  if (Array.isArray(value)) return value.some(isSecure);
  if (value !== null && typeof value === 'object') return Object.values(value).some(isSecure);
  return false;
}

/** Renders a value as text: strings as is, unknown parts in ⟨⟩. */
export function render(value: Value): string {
  if (value instanceof Opaque) return value.text;
  if (typeof value === 'string') return value;
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Opaque ? v.text : v));
}

function concatText(parts: Value[]): string | Opaque {
  if (parts.every((p) => typeof p === 'string')) return parts.join('');
  return new Opaque(parts.map(render).join(''), parts.some(isSecure));
}

function asString(value: Value, fn: string): string {
  if (typeof value !== 'string') throw new Error(`${fn}: expected a string, got ${render(value)}`);
  return value;
}

function isObject(value: Value): value is { [key: string]: Value } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Opaque);
}

function equalValues(a: Value, b: Value): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// ---------------------------------------------------------------- evaluation

/** Functions whose result only exists at deployment time. */
const DEPLOY_TIME = new Set([
  'reference',
  'uniquestring',
  'guid',
  'subscription',
  'resourcegroup',
  'tenant',
  'deployment',
  'deployer',
  'environment',
  'utcnow',
  'newguid',
  'managementgroup',
  'listkeys',
  'listsecrets',
]);

function evaluateNode(node: Node, ctx: Context): Value {
  switch (node.kind) {
    case 'string':
    case 'number':
      return node.value;
    case 'identifier':
      if (node.name === 'true') return true;
      if (node.name === 'false') return false;
      if (node.name === 'null') return null;
      throw new Error(`unknown identifier ${node.name}`);
    case 'property': {
      const target = evaluateNode(node.target, ctx);
      if (target instanceof Opaque) return extendOpaque(target, `.${node.name}`, target.secure);
      if (isObject(target)) {
        const found = Object.entries(target).find(([key]) => key.toLowerCase() === node.name.toLowerCase());
        if (!found) throw new Error(`no property ${node.name} in ${render(target)}`);
        return found[1];
      }
      throw new Error(`cannot read ${node.name} of ${render(target)}`);
    }
    case 'index': {
      const target = evaluateNode(node.target, ctx);
      const index = evaluateNode(node.index, ctx);
      if (target instanceof Opaque || index instanceof Opaque) return opaqueAtom(node.text, isSecure(target) || isSecure(index));
      if (Array.isArray(target) && typeof index === 'number') {
        const item = target[index];
        if (item === undefined) throw new Error(`index ${index} out of range in ${node.text}`);
        return item;
      }
      if (isObject(target) && typeof index === 'string') {
        const item = target[index];
        if (item === undefined) throw new Error(`no property ${index} in ${node.text}`);
        return item;
      }
      throw new Error(`cannot index ${render(target)} with ${render(index)}`);
    }
    case 'call':
      return call(node, ctx);
  }
}

/** Outputs of the nested deployment that a reference() argument points at, when already evaluated. */
function deploymentOutputs(target: Value, ctx: Context): ReadonlyMap<string, Value> | undefined {
  const text = render(target);
  const byId = /\/providers\/Microsoft\.Resources\/deployments\/([^/⟨⟩]+)$/i.exec(text);
  const name = byId ? byId[1] : ctx.symbols.get(text);
  return name === undefined ? undefined : ctx.deployments.get(name);
}

function call(node: Extract<Node, { kind: 'call' }>, ctx: Context): Value {
  const name = node.name.toLowerCase();
  if (name === 'if') {
    const [cond, yes, no] = node.args;
    if (!cond || !yes || !no) throw new Error(`if needs three arguments: ${node.text}`);
    const test = evaluateNode(cond, ctx);
    if (test instanceof Opaque) return opaqueAtom(node.text, isSecure(evaluateNode(yes, ctx)) || isSecure(evaluateNode(no, ctx)));
    return evaluateNode(test ? yes : no, ctx);
  }
  const args = node.args.map((arg) => evaluateNode(arg, ctx));
  if (name === 'reference') {
    const outputs = deploymentOutputs(args[0] ?? null, ctx);
    if (outputs) {
      const result: { [key: string]: Value } = {};
      for (const [key, value] of outputs) result[key] = { value };
      return { outputs: result };
    }
  }
  if (DEPLOY_TIME.has(name) || name.startsWith('list')) return opaqueAtom(node.text, args.some(isSecure));
  const arg = (i: number): Value => {
    const value = args[i];
    if (value === undefined) throw new Error(`${node.name}: missing argument ${i}`);
    return value;
  };
  switch (name) {
    case 'parameters': {
      const key = asString(arg(0), 'parameters');
      if (!ctx.parameters.has(key)) throw new Error(`unknown parameter ${key}`);
      return ctx.parameters.get(key) ?? null;
    }
    case 'variables': {
      const key = asString(arg(0), 'variables');
      const raw = ctx.variables[key];
      if (raw === undefined) throw new Error(`unknown variable ${key}`);
      return evaluate(raw, ctx);
    }
    case 'format': {
      const template = arg(0);
      if (template instanceof Opaque) return opaqueAtom(node.text, args.some(isSecure));
      const parts: Value[] = [];
      let last = 0;
      for (const match of asString(template, 'format').matchAll(/\{(\d+)(:[^}]*)?\}/g)) {
        parts.push(asString(template, 'format').slice(last, match.index));
        parts.push(arg(Number(match[1]) + 1));
        last = match.index + match[0].length;
      }
      parts.push(asString(template, 'format').slice(last));
      return concatText(parts.map((p) => (typeof p === 'number' || typeof p === 'boolean' ? String(p) : p)));
    }
    case 'concat':
      if (args.every(Array.isArray)) return args.flat();
      return concatText(args);
    case 'string':
      return typeof arg(0) === 'string' || arg(0) instanceof Opaque ? arg(0) : render(arg(0));
    case 'tolower':
      return arg(0) instanceof Opaque ? arg(0) : asString(arg(0), name).toLowerCase();
    case 'toupper':
      return arg(0) instanceof Opaque ? arg(0) : asString(arg(0), name).toUpperCase();
    case 'take': {
      const value = arg(0);
      const count = arg(1);
      if (value instanceof Opaque || count instanceof Opaque) return opaqueAtom(node.text, isSecure(value));
      if (typeof count !== 'number') throw new Error(`take: bad count in ${node.text}`);
      if (typeof value === 'string' || Array.isArray(value)) return value.slice(0, count);
      throw new Error(`take: bad value in ${node.text}`);
    }
    case 'length': {
      const value = arg(0);
      if (value instanceof Opaque) return opaqueAtom(node.text, false);
      if (typeof value === 'string' || Array.isArray(value)) return value.length;
      if (isObject(value)) return Object.keys(value).length;
      throw new Error(`length: bad value in ${node.text}`);
    }
    case 'empty': {
      const value = arg(0);
      if (value instanceof Opaque) return opaqueAtom(node.text, false);
      if (value === null) return true;
      if (typeof value === 'string' || Array.isArray(value)) return value.length === 0;
      if (isObject(value)) return Object.keys(value).length === 0;
      return false;
    }
    case 'equals':
      if (args.some((a) => a instanceof Opaque)) return opaqueAtom(node.text, false);
      return equalValues(arg(0), arg(1));
    case 'not':
      return arg(0) instanceof Opaque ? opaqueAtom(node.text, false) : !arg(0);
    case 'and':
      return args.some((a) => a instanceof Opaque) ? opaqueAtom(node.text, false) : args.every(Boolean);
    case 'or':
      return args.some((a) => a instanceof Opaque) ? opaqueAtom(node.text, false) : args.some(Boolean);
    case 'greater':
    case 'greaterorequals':
    case 'less':
    case 'lessorequals': {
      const a = arg(0);
      const b = arg(1);
      if (typeof a !== 'number' || typeof b !== 'number') return opaqueAtom(node.text, false);
      if (name === 'greater') return a > b;
      if (name === 'greaterorequals') return a >= b;
      if (name === 'less') return a < b;
      return a <= b;
    }
    case 'union':
      if (args.every(Array.isArray)) return [...new Set(args.flat().map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v) as Value);
      if (args.every(isObject)) return Object.assign({}, ...args) as { [key: string]: Value };
      return opaqueAtom(node.text, args.some(isSecure));
    case 'createarray':
      return args;
    case 'createobject': {
      const result: { [key: string]: Value } = {};
      for (let i = 0; i + 1 < args.length; i += 2) result[asString(arg(i), name)] = arg(i + 1);
      return result;
    }
    case 'split': {
      const value = arg(0);
      if (value instanceof Opaque) return opaqueAtom(node.text, value.secure);
      return asString(value, name).split(asString(arg(1), name));
    }
    case 'contains': {
      const container = arg(0);
      const item = arg(1);
      if (container instanceof Opaque || item instanceof Opaque) return opaqueAtom(node.text, false);
      if (typeof container === 'string') return container.includes(asString(item, name));
      if (Array.isArray(container)) return container.some((v) => equalValues(v, item));
      if (isObject(container)) return Object.hasOwn(container, asString(item, name));
      return false;
    }
    case 'first':
    case 'last': {
      const value = arg(0);
      if (value instanceof Opaque) return opaqueAtom(node.text, value.secure);
      if (typeof value === 'string' || Array.isArray(value)) return (name === 'first' ? value[0] : value[value.length - 1]) ?? null;
      throw new Error(`${name}: bad value in ${node.text}`);
    }
    case 'copyindex': {
      const offset = args.find((a) => typeof a === 'number');
      return ctx.copyIndex + (typeof offset === 'number' ? offset : 0);
    }
    case 'true':
      return true;
    case 'false':
      return false;
    case 'null':
      return null;
    case 'resourceid':
    case 'subscriptionresourceid':
    case 'tenantresourceid':
    case 'extensionresourceid': {
      // Rendered as "<scope>/providers/<type>/<names>"; the scope is opaque.
      const parts = [...args];
      const scope: Value =
        name === 'extensionresourceid' ? (parts.shift() ?? null) : opaqueAtom(name === 'tenantresourceid' ? 'tenant' : name === 'resourceid' ? 'resourceGroup().id' : 'subscription().id', false);
      const typeIndex = parts.findIndex((p) => typeof p === 'string' && p.includes('/'));
      const type = typeIndex >= 0 ? parts[typeIndex] ?? null : null;
      const names = typeIndex >= 0 ? parts.slice(typeIndex + 1) : parts;
      const pieces: Value[] = [scope, '/providers/', type];
      for (const n of names) pieces.push('/', n);
      return concatText(pieces);
    }
    default:
      throw new Error(`unsupported template function ${node.name} in ${node.text}`);
  }
}

/** Evaluates a template value: expressions in strings (and in object keys), recursively. */
export function evaluate(raw: Json, ctx: Context): Value {
  if (typeof raw === 'string') {
    if (isExpression(raw)) return evaluateNode(new Parser(raw.slice(1, -1)).parse(), ctx);
    return raw.startsWith('[[') ? raw.slice(1) : raw;
  }
  if (Array.isArray(raw)) return raw.map((item) => evaluate(item, ctx));
  if (raw !== null && typeof raw === 'object') {
    const result: { [key: string]: Value } = {};
    for (const [key, value] of Object.entries(raw)) {
      const evaluatedKey = isExpression(key) ? render(evaluate(key, ctx)) : key;
      result[evaluatedKey] = evaluate(value, ctx);
    }
    return result;
  }
  return raw;
}

// ---------------------------------------------------------------- templates

function asObject(value: Json | undefined, what: string): JsonObject {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${what} is not an object`);
  return value;
}

function isSecureType(type: Json | undefined): boolean {
  return typeof type === 'string' && type.toLowerCase().startsWith('secure');
}

/** Parameter values for a template: the given ones, else the defaults. Secure ones become Opaque. */
function bindParameters(template: JsonObject, given: ReadonlyMap<string, Value>): Map<string, Value> {
  const declared = asObject(template.parameters ?? {}, 'parameters');
  const bound = new Map<string, Value>();
  // Defaults may refer to other parameters, so bind the given ones first.
  const ctx: Context = { parameters: bound, variables: asObject(template.variables ?? {}, 'variables'), copyIndex: 0, deployments: new Map(), symbols: new Map() };
  for (const [name, def] of Object.entries(declared)) {
    const definition = asObject(def, `parameter ${name}`);
    if (given.has(name)) bound.set(name, given.get(name) ?? null);
    else if (!('defaultValue' in definition)) throw new Error(`parameter ${name} has no value and no default`);
  }
  for (const [name, def] of Object.entries(declared)) {
    const definition = asObject(def, `parameter ${name}`);
    if (!bound.has(name)) bound.set(name, evaluate(definition.defaultValue ?? null, ctx));
    const value = bound.get(name) ?? null;
    if (isSecureType(definition.type) && !isSecure(value)) bound.set(name, opaqueAtom(`parameters('${name}')`, true));
  }
  return bound;
}

function resourceList(template: JsonObject): { symbol: string | undefined; raw: JsonObject }[] {
  const resources = template.resources ?? [];
  if (Array.isArray(resources)) return resources.map((r, i) => ({ symbol: undefined, raw: asObject(r, `resource ${String(i)}`) }));
  // languageVersion 2.0 keys resources by symbolic name.
  return Object.entries(asObject(resources, 'resources')).map(([symbol, r]) => ({ symbol, raw: asObject(r, `resource ${symbol}`) }));
}

/** Deployment outputs found so far, by deployment path ("a/b"). */
type OutputsByPath = Map<string, Map<string, Value>>;

function walk(template: JsonObject, given: ReadonlyMap<string, Value>, deployment: string[], known: OutputsByPath, into: Evaluation, found: OutputsByPath): void {
  const parameters = bindParameters(template, given);
  const variables = asObject(template.variables ?? {}, 'variables');
  const resources = resourceList(template);
  const deployments = new Map<string, Map<string, Value>>();
  const prefix = deployment.length > 0 ? `${deployment.join('/')}/` : '';
  for (const [path, outputs] of known) {
    const rest = path.slice(prefix.length);
    if (path.startsWith(prefix) && rest !== '' && !rest.includes('/')) deployments.set(rest, outputs);
  }
  const symbols = new Map<string, string>();
  const base: Context = { parameters, variables, copyIndex: 0, deployments, symbols };
  for (const { symbol, raw } of resources) {
    if (symbol !== undefined && raw.type === 'Microsoft.Resources/deployments') symbols.set(symbol, render(evaluate(raw.name ?? null, base)));
  }

  for (const { raw } of resources) {
    const copy = raw.copy === undefined ? undefined : asObject(raw.copy, 'copy');
    const countValue = copy ? evaluate(copy.count ?? 0, base) : 1;
    if (typeof countValue !== 'number') throw new Error(`copy count of ${render(evaluate(raw.name ?? null, base))} is not known before deployment`);
    for (let index = 0; index < countValue; index++) {
      const ctx: Context = { ...base, copyIndex: index };
      if (raw.condition !== undefined) {
        const condition = evaluate(raw.condition, ctx);
        if (condition instanceof Opaque) throw new Error(`condition ${condition.text} is not known before deployment`);
        if (!condition) continue;
      }
      const type = typeof raw.type === 'string' ? raw.type : '';
      const value: { [key: string]: Value } = {};
      for (const [key, field] of Object.entries(raw)) {
        if (key === 'copy' || key === 'dependsOn' || key === 'condition') continue;
        if (key === 'properties' && type === 'Microsoft.Resources/deployments') {
          const { template: _inner, ...rest } = asObject(field, 'deployment properties');
          value[key] = evaluate(rest, ctx);
          continue;
        }
        value[key] = evaluate(field, ctx);
      }
      into.resources.push({
        type,
        apiVersion: typeof raw.apiVersion === 'string' ? raw.apiVersion : undefined,
        deployment,
        existing: raw.existing === true,
        copyIndex: index,
        value,
      });

      if (type === 'Microsoft.Resources/deployments') {
        const props = asObject(raw.properties, 'deployment properties');
        const options = props.expressionEvaluationOptions;
        if (!options || asObject(options, 'expressionEvaluationOptions').scope !== 'inner') {
          throw new Error('only nested deployments with inner expression scope (what Bicep emits) are supported');
        }
        const inner = asObject(props.template, 'nested template');
        const innerDeclared = asObject(inner.parameters ?? {}, 'parameters');
        const passed = new Map<string, Value>();
        const name = render(value.name ?? null);
        for (const [key, entry] of Object.entries(asObject(props.parameters ?? {}, 'deployment parameters'))) {
          // Bicep emits a whole entry as one expression when it picks between values (`cond ? a : b`).
          const evaluatedEntry = typeof entry === 'string' ? evaluate(entry, ctx) : evaluate(asObject(entry, `parameter ${key}`), ctx);
          const passedValue = evaluatedEntry instanceof Opaque ? evaluatedEntry : (get(evaluatedEntry, 'value') ?? null);
          passed.set(key, passedValue);
          const declaredType = asObject(innerDeclared[key] ?? {}, `parameter ${key}`).type;
          const innerType = typeof declaredType === 'string' ? declaredType : '';
          into.nestedParameters.push({ deployment: [...deployment, name], name: key, innerType, value: passedValue });
        }
        walk(inner, passed, [...deployment, name], known, into, found);
      }
    }
  }

  const outputs = new Map<string, Value>();
  for (const [name, def] of Object.entries(asObject(template.outputs ?? {}, 'outputs'))) {
    const output = asObject(def, `output ${name}`);
    const value = evaluate(output.value ?? null, base);
    outputs.set(name, value);
    into.outputs.push({ deployment, name, raw: output.value ?? null, value });
  }
  found.set(deployment.join('/'), outputs);
}

/**
 * Evaluates a compiled template and everything nested in it for the given top-level parameter values.
 * Modules read each other's outputs, so it evaluates again with the outputs of the previous pass
 * until they stop changing.
 */
export function evaluateTemplate(template: JsonObject, parameters: Record<string, Value>): Evaluation {
  const given = new Map(Object.entries(parameters));
  let known: OutputsByPath = new Map();
  for (let pass = 0; pass < 20; pass++) {
    const result: Evaluation = { resources: [], outputs: [], nestedParameters: [] };
    const found: OutputsByPath = new Map();
    walk(template, given, [], known, result, found);
    if (render(snapshot(found)) === render(snapshot(known))) return result;
    known = found;
  }
  throw new Error('deployment outputs did not settle after 20 passes');
}

function snapshot(outputs: OutputsByPath): Value {
  const result: { [key: string]: Value } = {};
  for (const [path, values] of [...outputs].sort(([a], [b]) => a.localeCompare(b))) result[path] = Object.fromEntries(values);
  return result;
}

/** Resources of one type that the deployment creates (not `existing` references). */
export function resourcesOfType(evaluation: Evaluation, type: string): Resource[] {
  return evaluation.resources.filter((r) => !r.existing && r.type.toLowerCase() === type.toLowerCase());
}

/** Reads a nested field of raw template JSON, e.g. jsonGet(template, 'parameters', 'webhookKey'). */
export function jsonGet(value: Json | undefined, ...path: string[]): Json | undefined {
  let current = value;
  for (const key of path) {
    if (current === null || current === undefined || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Reads a nested field of an evaluated object, e.g. get(site, 'properties', 'siteConfig'). */
export function get(value: Value | undefined, ...path: string[]): Value | undefined {
  let current = value;
  for (const key of path) {
    if (!isObject(current ?? null)) return undefined;
    current = (current as { [key: string]: Value })[key];
  }
  return current;
}
