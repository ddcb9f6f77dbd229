/**
 * Validation of settings into typed, partial layers, and the merge of those layers into one frozen
 * `EmulatorConfig`. Every problem is collected (not thrown) and names the setting as the user wrote
 * it, plus the fix, so one start shows every mistake at once.
 */
import {
  DEFAULT_ACCESS_KEY,
  DEFAULT_HOST,
  DEFAULT_HUB_SETTINGS,
  DEFAULT_PORT,
  DEFAULT_UPSTREAM_SETTINGS,
  MAX_ACCESS_KEYS,
  MAX_KEEP_ALIVE_SECONDS,
  MIN_ACCESS_KEY_LENGTH,
  MIN_KEEP_ALIVE_SECONDS,
  type EmulatorConfig,
  type EventHandlerSettings,
  type HubSettings,
  type SystemEvent,
  type TlsSettings,
  type UpstreamSettings,
} from './config.js';
import { isValidEventName, isValidHubName } from './protocol/names.js';

export interface HubInput {
  eventHandlers?: EventHandlerSettings[];
  anonymousConnectPolicy?: 'allow' | 'deny';
  keepAliveIntervalSeconds?: number;
}

/** One layer of settings (the file, the environment, the flags...), already validated. */
export interface ConfigInput {
  port?: number;
  host?: string;
  accessKeys?: string[];
  hubs?: Map<string, HubInput>;
  defaultHub?: HubInput;
  upstream?: Partial<{ -readonly [K in keyof UpstreamSettings]: UpstreamSettings[K] }>;
  tls?: TlsSettings;
  allowUnverifiedEntraTokens?: boolean;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: EmulatorConfig }
  | { readonly ok: false; readonly problems: readonly string[] };

const SYSTEM_EVENTS: readonly SystemEvent[] = ['connect', 'connected', 'disconnected'];
const MAX_RETRIES = 10;
/** Far beyond what one handler process can serve; a guard against typos such as 64000. */
const MAX_UPSTREAM_CONNECTIONS = 4096;
const HOST_PATTERN = /^[A-Za-z0-9.:[\]_-]+$/;

/** Collects problems; `name` is how the user spelled the setting (`--port`, `hubs.chat.eventHandlers[0]`). */
export class Problems {
  readonly list: string[] = [];
  add(name: string, problem: string, fix: string): void {
    this.list.push(`${name}: ${problem} ${fix}`);
  }
}

export function checkPort(value: unknown, name: string, problems: Problems): number | undefined {
  const port = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
  if (typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65_535) return port;
  problems.add(name, `${describe(value)} is not a port number.`, 'Use an integer from 0 to 65535 (0 picks a free port).');
  return undefined;
}

export function checkHost(value: unknown, name: string, problems: Problems): string | undefined {
  if (typeof value === 'string' && HOST_PATTERN.test(value)) return value;
  problems.add(name, `${describe(value)} is not a host name or IP address.`, 'Use e.g. localhost, 127.0.0.1 or 0.0.0.0.');
  return undefined;
}

export function checkAccessKeys(value: unknown, name: string, problems: Problems): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ACCESS_KEYS) {
    problems.add(name, `expected one or two access keys, got ${Array.isArray(value) ? String(value.length) : describe(value)}.`, 'Give a primary key and optionally a secondary one.');
    return undefined;
  }
  const keys: string[] = [];
  value.forEach((key: unknown, index) => {
    const keyName = value.length > 1 ? `${name} (key ${index + 1})` : name;
    const problem = accessKeyProblem(key);
    if (problem === undefined) keys.push(key as string);
    else problems.add(keyName, problem, `Use at least ${MIN_ACCESS_KEY_LENGTH} characters without ';', whitespace or control characters.`);
  });
  return keys.length === value.length ? keys : undefined;
}

function accessKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return `${describe(key)} is not a string.`;
  if (Buffer.byteLength(key, 'utf8') < MIN_ACCESS_KEY_LENGTH) return `the key is shorter than ${MIN_ACCESS_KEY_LENGTH} bytes.`;
  // Connection strings are `;`-separated, so a key with `;` or spaces cannot be written in one.
  for (const char of key) {
    const code = char.codePointAt(0) ?? 0;
    if (char === ';' || /\s/u.test(char) || code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      return `the key contains ${char === ';' ? "';'" : 'whitespace or a control character'}.`;
    }
  }
  return undefined;
}

/**
 * One layer's TLS choice from its pieces: a certificate and a key together, or a self-signed
 * development certificate (`selfSigned`, optionally stored in `directory`), never both.
 */
export function checkTls(
  pieces: { certFile?: string | undefined; keyFile?: string | undefined; selfSigned?: boolean | undefined; directory?: string | undefined },
  names: { certFile: string; keyFile: string; selfSigned: string; directory: string },
  problems: Problems,
): TlsSettings | undefined {
  const { certFile, keyFile, directory } = pieces;
  const selfSigned = pieces.selfSigned === true || directory !== undefined;
  if (certFile !== undefined || keyFile !== undefined) {
    if (selfSigned) {
      problems.add(names.certFile, `a certificate of your own and ${names.selfSigned} exclude each other.`, `Give ${names.certFile} and ${names.keyFile}, or ${names.selfSigned} alone.`);
      return undefined;
    }
    if (certFile === undefined || keyFile === undefined) {
      const [given, missing] = certFile === undefined ? [names.keyFile, names.certFile] : [names.certFile, names.keyFile];
      problems.add(missing, `is missing: ${given} needs it.`, `Give both ${names.certFile} <pem> and ${names.keyFile} <pem>, or use ${names.selfSigned} for a generated development certificate.`);
      return undefined;
    }
    return { kind: 'files', certFile, keyFile };
  }
  return selfSigned ? { kind: 'selfSigned', directory } : undefined;
}

/** `true`/`false` (also `1`/`0`, any case), as environment variables spell switches. */
export function checkSwitch(value: string, name: string, problems: Problems): boolean | undefined {
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  problems.add(name, `${describe(value)} is not a switch.`, 'Use true or false.');
  return undefined;
}

/** Validates an object of the JSON file's shape (also what the test helper accepts). */
export function parseConfigObject(value: unknown, source: string, problems: Problems): ConfigInput {
  const input: ConfigInput = {};
  const root = asObject(value, source, problems);
  if (root === undefined) return input;
  const at = (key: string): string => `${source}: ${key}`;
  rejectUnknown(root, ['port', 'host', 'accessKeys', 'hubs', 'defaultHub', 'upstream', 'tls', 'allowUnverifiedEntraTokens'], source, '', problems);
  if (root.port !== undefined) input.port = checkPort(root.port, at('port'), problems);
  if (root.host !== undefined) input.host = checkHost(root.host, at('host'), problems);
  if (root.accessKeys !== undefined) input.accessKeys = checkAccessKeys(root.accessKeys, at('accessKeys'), problems);
  if (root.hubs !== undefined) input.hubs = parseHubs(root.hubs, source, problems);
  if (root.defaultHub !== undefined) input.defaultHub = parseHub(root.defaultHub, source, 'defaultHub', problems);
  if (root.upstream !== undefined) input.upstream = parseUpstream(root.upstream, source, problems);
  if (root.tls !== undefined) {
    const tls = parseTls(root.tls, source, problems);
    if (tls !== undefined) input.tls = tls;
  }
  if (root.allowUnverifiedEntraTokens !== undefined) {
    if (typeof root.allowUnverifiedEntraTokens === 'boolean') input.allowUnverifiedEntraTokens = root.allowUnverifiedEntraTokens;
    else problems.add(at('allowUnverifiedEntraTokens'), `${describe(root.allowUnverifiedEntraTokens)} is not a boolean.`, 'Use true or false.');
  }
  return input;
}

function parseTls(value: unknown, source: string, problems: Problems): TlsSettings | undefined {
  const object = asObject(value, `${source}: tls`, problems);
  if (object === undefined) return undefined;
  rejectUnknown(object, ['certFile', 'keyFile', 'selfSigned', 'directory'], source, 'tls', problems);
  const before = problems.list.length;
  const text = (key: string): string | undefined => {
    const entry = object[key];
    if (entry === undefined) return undefined;
    if (typeof entry === 'string' && entry.trim() !== '') return entry;
    problems.add(`${source}: tls.${key}`, `${describe(entry)} is not a file path.`, 'Use a non-empty path.');
    return undefined;
  };
  const certFile = text('certFile');
  const keyFile = text('keyFile');
  const directory = text('directory');
  const { selfSigned } = object;
  if (selfSigned !== undefined && typeof selfSigned !== 'boolean') problems.add(`${source}: tls.selfSigned`, `${describe(selfSigned)} is not a boolean.`, 'Use true or false.');
  if (problems.list.length !== before) return undefined;
  const tls = checkTls(
    { certFile, keyFile, selfSigned: selfSigned === true, directory },
    { certFile: `${source}: tls.certFile`, keyFile: `${source}: tls.keyFile`, selfSigned: `${source}: tls.selfSigned`, directory: `${source}: tls.directory` },
    problems,
  );
  if (tls === undefined && problems.list.length === before) {
    problems.add(`${source}: tls`, 'names no certificate.', 'Use { "certFile": "...", "keyFile": "..." } or { "selfSigned": true }, or leave tls out for plain HTTP.');
  }
  return tls;
}

function parseHubs(value: unknown, source: string, problems: Problems): Map<string, HubInput> {
  const hubs = new Map<string, HubInput>();
  const object = asObject(value, `${source}: hubs`, problems);
  if (object === undefined) return hubs;
  const seen = new Map<string, string>();
  for (const [name, settings] of Object.entries(object)) {
    const path = `hubs.${name}`;
    if (!isValidHubName(name)) {
      problems.add(`${source}: ${path}`, `'${name}' is not a valid hub name.`, 'Start with a letter; then use up to 127 letters, digits or _ ` , . [ ].');
      continue;
    }
    const twin = seen.get(name.toLowerCase());
    if (twin !== undefined) {
      problems.add(`${source}: ${path}`, `hub names are case-insensitive, so '${name}' repeats '${twin}'.`, 'Keep one entry per hub.');
      continue;
    }
    seen.set(name.toLowerCase(), name);
    hubs.set(name, parseHub(settings, source, path, problems));
  }
  return hubs;
}

function parseHub(value: unknown, source: string, path: string, problems: Problems): HubInput {
  const hub: HubInput = {};
  const object = asObject(value, `${source}: ${path}`, problems);
  if (object === undefined) return hub;
  rejectUnknown(object, ['eventHandlers', 'anonymousConnectPolicy', 'keepAliveIntervalSeconds'], source, path, problems);
  const { eventHandlers, anonymousConnectPolicy, keepAliveIntervalSeconds } = object;
  if (eventHandlers !== undefined) {
    if (Array.isArray(eventHandlers)) {
      hub.eventHandlers = eventHandlers.flatMap((handler: unknown, index) => {
        const parsed = parseEventHandler(handler, source, `${path}.eventHandlers[${index}]`, problems);
        return parsed === undefined ? [] : [parsed];
      });
    } else {
      problems.add(`${source}: ${path}.eventHandlers`, `${describe(eventHandlers)} is not a list.`, 'Use an array of { "urlTemplate", "userEventPattern", "systemEvents" }.');
    }
  }
  if (anonymousConnectPolicy !== undefined) {
    if (anonymousConnectPolicy === 'allow' || anonymousConnectPolicy === 'deny') hub.anonymousConnectPolicy = anonymousConnectPolicy;
    else problems.add(`${source}: ${path}.anonymousConnectPolicy`, `${describe(anonymousConnectPolicy)} is not a policy.`, 'Use "allow" or "deny".');
  }
  if (keepAliveIntervalSeconds !== undefined) {
    if (isIntegerIn(keepAliveIntervalSeconds, MIN_KEEP_ALIVE_SECONDS, MAX_KEEP_ALIVE_SECONDS)) hub.keepAliveIntervalSeconds = keepAliveIntervalSeconds;
    else problems.add(`${source}: ${path}.keepAliveIntervalSeconds`, `${describe(keepAliveIntervalSeconds)} is out of range.`, `Use whole seconds from ${MIN_KEEP_ALIVE_SECONDS} to ${MAX_KEEP_ALIVE_SECONDS}.`);
  }
  return hub;
}

function parseEventHandler(value: unknown, source: string, path: string, problems: Problems): EventHandlerSettings | undefined {
  const object = asObject(value, `${source}: ${path}`, problems);
  if (object === undefined) return undefined;
  rejectUnknown(object, ['urlTemplate', 'userEventPattern', 'systemEvents'], source, path, problems);
  const before = problems.list.length;
  const { urlTemplate, userEventPattern = '', systemEvents = [] } = object;

  const templateProblem = urlTemplateProblem(urlTemplate);
  if (templateProblem !== undefined) {
    problems.add(`${source}: ${path}.urlTemplate`, templateProblem, 'Use an http(s) URL; only {hub} and {event} may appear, and only after the host, e.g. "http://localhost:7071/eventhandler/{event}".');
  }
  if (typeof userEventPattern !== 'string' || !isValidUserEventPattern(userEventPattern)) {
    problems.add(`${source}: ${path}.userEventPattern`, `${describe(userEventPattern)} is not an event pattern.`, 'Use "*", one event name, or a comma list such as "message,typing" ("" for no user events).');
  }
  const events: SystemEvent[] = [];
  if (Array.isArray(systemEvents)) {
    for (const event of systemEvents as unknown[]) {
      const known = SYSTEM_EVENTS.find((name) => typeof event === 'string' && name === event.toLowerCase());
      if (known === undefined) problems.add(`${source}: ${path}.systemEvents`, `${describe(event)} is not a system event.`, 'Use any of "connect", "connected", "disconnected".');
      else if (!events.includes(known)) events.push(known);
    }
  } else {
    problems.add(`${source}: ${path}.systemEvents`, `${describe(systemEvents)} is not a list.`, 'Use e.g. ["connect", "connected", "disconnected"].');
  }
  if (problems.list.length !== before) return undefined;
  return { urlTemplate: urlTemplate as string, userEventPattern: (userEventPattern as string).trim(), systemEvents: events };
}

/** Why `template` is not a usable event handler URL template, or undefined when it is. */
export function urlTemplateProblem(template: unknown): string | undefined {
  if (typeof template !== 'string' || template.length === 0) return `${describe(template)} is not a URL template.`;
  const placeholders = template.match(/\{[^{}]*\}/g) ?? [];
  const unknown = placeholders.find((placeholder) => placeholder !== '{hub}' && placeholder !== '{event}');
  if (unknown !== undefined) return `the placeholder ${unknown} is not supported.`;
  const bare = template.replaceAll('{hub}', 'hub').replaceAll('{event}', 'event');
  if (bare.includes('{') || bare.includes('}')) return 'a brace is not part of a {hub} or {event} placeholder.';
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(template)?.[1];
  if (authority?.includes('{')) return 'placeholders may not appear in the scheme or host.';
  let url: URL;
  try {
    url = new URL(bare);
  } catch {
    return `'${template}' is not a valid URL.`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `the scheme ${url.protocol} is not supported.`;
  return undefined;
}

/** `*`, or a comma list of event names; empty means "no user events". */
export function isValidUserEventPattern(pattern: string): boolean {
  const trimmed = pattern.trim();
  if (trimmed === '' || trimmed === '*') return true;
  return trimmed.split(',').every((name) => isValidEventName(name.trim()));
}

function parseUpstream(value: unknown, source: string, problems: Problems): ConfigInput['upstream'] {
  const upstream: NonNullable<ConfigInput['upstream']> = {};
  const object = asObject(value, `${source}: upstream`, problems);
  if (object === undefined) return upstream;
  rejectUnknown(object, ['timeoutMs', 'retryDelaysMs', 'validationTimeoutMs', 'validationTtlMs', 'maxConnections'], source, 'upstream', problems);
  const milliseconds = (key: 'timeoutMs' | 'validationTimeoutMs' | 'validationTtlMs', min: number): void => {
    const entry = object[key];
    if (entry === undefined) return;
    if (isIntegerIn(entry, min, 3_600_000)) upstream[key] = entry;
    else problems.add(`${source}: upstream.${key}`, `${describe(entry)} is out of range.`, `Use whole milliseconds from ${min} to 3600000.`);
  };
  milliseconds('timeoutMs', 1);
  milliseconds('validationTimeoutMs', 1);
  milliseconds('validationTtlMs', 0);
  const maxConnections = object.maxConnections;
  if (maxConnections !== undefined) {
    if (isIntegerIn(maxConnections, 1, MAX_UPSTREAM_CONNECTIONS)) upstream.maxConnections = maxConnections;
    else problems.add(`${source}: upstream.maxConnections`, `${describe(maxConnections)} is out of range.`, `Use a whole number from 1 to ${MAX_UPSTREAM_CONNECTIONS}.`);
  }
  const delays = object.retryDelaysMs;
  if (delays !== undefined) {
    if (Array.isArray(delays) && delays.length <= MAX_RETRIES && delays.every((delay) => isIntegerIn(delay, 0, 600_000))) {
      upstream.retryDelaysMs = delays;
    } else {
      problems.add(`${source}: upstream.retryDelaysMs`, `${describe(delays)} is not a list of delays.`, `Use up to ${MAX_RETRIES} whole milliseconds from 0 to 600000, e.g. [1000, 3000, 5000].`);
    }
  }
  return upstream;
}

/** Merges validated layers (later wins) over the defaults and freezes the result. */
export function resolveConfig(layers: readonly ConfigInput[]): EmulatorConfig {
  let port = DEFAULT_PORT;
  let host = DEFAULT_HOST;
  let accessKeys: readonly string[] = [DEFAULT_ACCESS_KEY];
  let defaultHub: HubSettings = DEFAULT_HUB_SETTINGS;
  let upstream: UpstreamSettings = DEFAULT_UPSTREAM_SETTINGS;
  let tls: TlsSettings | undefined;
  let allowUnverifiedEntraTokens = false;
  const hubInputs = new Map<string, HubInput>();
  for (const layer of layers) {
    port = layer.port ?? port;
    host = layer.host ?? host;
    accessKeys = layer.accessKeys ?? accessKeys;
    if (layer.defaultHub !== undefined) defaultHub = { ...defaultHub, ...layer.defaultHub };
    if (layer.upstream !== undefined) upstream = { ...upstream, ...layer.upstream };
    tls = layer.tls ?? tls;
    allowUnverifiedEntraTokens = layer.allowUnverifiedEntraTokens ?? allowUnverifiedEntraTokens;
    for (const [name, hub] of layer.hubs ?? []) hubInputs.set(name, { ...hubInputs.get(name), ...hub });
  }
  // A null prototype: hub names come from the user and are looked up by key.
  const hubs = Object.create(null) as Record<string, HubSettings>;
  for (const [name, hub] of hubInputs) hubs[name] = deepFreeze({ ...defaultHub, ...hub });
  return deepFreeze({
    host,
    port,
    accessKeys: [...accessKeys],
    hubs,
    defaultHub: { ...defaultHub },
    upstream: { ...upstream },
    tls: tls === undefined ? undefined : { ...tls },
    allowUnverifiedEntraTokens,
  });
}

/** Validates a single object of the file's shape and resolves it; the test helper's path. */
export function buildConfig(value: unknown, source: string, base: readonly ConfigInput[] = []): ConfigResult {
  const problems = new Problems();
  const input = parseConfigObject(value, source, problems);
  if (problems.list.length > 0) return { ok: false, problems: problems.list };
  return { ok: true, config: resolveConfig([...base, input]) };
}

function asObject(value: unknown, name: string, problems: Problems): Record<string, unknown> | undefined {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  problems.add(name, `${describe(value)} is not an object.`, 'Use a JSON object ({ ... }).');
  return undefined;
}

function rejectUnknown(object: Record<string, unknown>, known: readonly string[], source: string, path: string, problems: Problems): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) {
      const name = path === '' ? key : `${path}.${key}`;
      problems.add(`${source}: ${name}`, 'unknown setting.', `Remove it or use one of: ${known.join(', ')}.`);
    }
  }
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return 'an object';
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
