/**
 * The app's settings: read from the environment once, validated, frozen. Every setting name the
 * app reads lives in this file. A missing or malformed setting throws a ConfigError that names
 * the setting and says how to fix it, so the Functions host (or the local runner) fails at start
 * instead of on the first request.
 */

/** Names of the environment variables (app settings) the app reads. */
export const SETTINGS = Object.freeze({
  connectionString: 'WebPubSubConnectionString',
  endpoint: 'WEBPUBSUB_ENDPOINT',
  hub: 'WEBPUBSUB_HUB',
  clientId: 'AZURE_CLIENT_ID',
  webhookKey: 'WEBPUBSUB_WEBHOOK_KEY',
  allowedOrigins: 'WEBPUBSUB_ALLOWED_ORIGINS',
  platformAuth: 'WEBSITE_AUTH_ENABLED',
} as const);

/** The app settings the function app reads when deployed to Azure (keyless). */
export const AZURE_APP_SETTINGS: readonly string[] = Object.freeze([
  SETTINGS.endpoint,
  SETTINGS.hub,
  SETTINGS.clientId,
  SETTINGS.webhookKey,
  SETTINGS.allowedOrigins,
]);

/** The tutorial's hub name. */
export const DEFAULT_HUB = 'Sample_ChatApp';

/** Web hook secrets travel in the URL, so they are limited to URL-safe characters. */
export const MIN_WEBHOOK_KEY_LENGTH = 16;

/** How the app reaches Web PubSub. */
export type WebPubSubAccess =
  | {
      /** Local development (emulator) or key-based Azure: the connection string signs tokens. */
      readonly kind: 'connectionString';
      readonly connectionString: string;
      /** `http(s)://host[:port]`, no trailing slash. */
      readonly endpoint: string;
      /** The keys the service signs `ce-signature` with. */
      readonly accessKeys: readonly string[];
    }
  | {
      /** Azure, keyless: Microsoft Entra ID through DefaultAzureCredential. */
      readonly kind: 'identity';
      readonly endpoint: string;
      /** Client id of the user-assigned managed identity; undefined uses the default chain. */
      readonly managedIdentityClientId: string | undefined;
    };

export interface ChatConfig {
  readonly webPubSub: WebPubSubAccess;
  readonly hub: string;
  /** Shared secret expected as `?key=` on the event handler URL; undefined when not configured. */
  readonly webhookKey: string | undefined;
  /** Lower-case host names accepted in `WebHook-Request-Origin`. */
  readonly allowedOrigins: readonly string[];
  /** True only when App Service Authentication is on, i.e. the platform sets the principal headers. */
  readonly platformAuthEnabled: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly setting: string,
    problem: string,
    fix: string,
  ) {
    super(`Setting ${setting}: ${problem}. ${fix}`);
  }
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** Builds the configuration from an environment; throws ConfigError on the first bad setting. */
export function loadConfig(env: Environment): ChatConfig {
  const webPubSub = readAccess(env);
  const hub = readHub(env);
  const webhookKey = readWebhookKey(env);
  if (webPubSub.kind === 'identity' && webhookKey === undefined) {
    throw new ConfigError(
      SETTINGS.webhookKey,
      `is required with ${SETTINGS.endpoint} (without an access key the app cannot verify ce-signature, and it refuses unverified events)`,
      `Set it to a random secret of at least ${MIN_WEBHOOK_KEY_LENGTH} URL-safe characters and add ?key=<the secret> to the hub's event handler URL.`,
    );
  }
  return Object.freeze({
    webPubSub: Object.freeze(webPubSub),
    hub,
    webhookKey,
    allowedOrigins: Object.freeze(readAllowedOrigins(env, webPubSub.endpoint)),
    platformAuthEnabled: readPlatformAuth(env),
  });
}

let cached: ChatConfig | undefined;

/** The process's configuration, read from process.env on first use. */
export function getConfig(): ChatConfig {
  cached ??= loadConfig(process.env);
  return cached;
}

function value(env: Environment, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function readAccess(env: Environment): WebPubSubAccess {
  const connectionString = value(env, SETTINGS.connectionString);
  const endpoint = value(env, SETTINGS.endpoint);
  if (connectionString !== undefined && endpoint !== undefined) {
    throw new ConfigError(
      SETTINGS.endpoint,
      `is set together with ${SETTINGS.connectionString}, so it is unclear which one to use`,
      `Set ${SETTINGS.connectionString} for local development or ${SETTINGS.endpoint} for keyless Azure, not both.`,
    );
  }
  if (connectionString !== undefined) return parseConnectionString(connectionString);
  if (endpoint !== undefined) {
    return {
      kind: 'identity',
      endpoint: parseEndpoint(SETTINGS.endpoint, endpoint, ['https:']),
      managedIdentityClientId: readClientId(env),
    };
  }
  throw new ConfigError(
    SETTINGS.connectionString,
    `is not set (nor is ${SETTINGS.endpoint})`,
    `Locally, copy local.settings.json.example to local.settings.json or set ${SETTINGS.connectionString}=Endpoint=http://localhost:8080;AccessKey=...;Version=1.0; (npm start does this for you); in Azure set ${SETTINGS.endpoint}=https://<name>.webpubsub.azure.com.`,
  );
}

/** `Endpoint=...;AccessKey=...;Version=1.0;[Port=...]`, keys case-insensitive, as the SDK reads it. */
function parseConnectionString(connectionString: string): WebPubSubAccess {
  const parts = new Map<string, string>();
  for (const part of connectionString.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    parts.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const rawEndpoint = parts.get('endpoint');
  const accessKey = parts.get('accesskey');
  const fix = 'Use the form Endpoint=http://localhost:8080;AccessKey=<key>;Version=1.0; (the emulator prints it on start; in Azure: az webpubsub key show).';
  if (rawEndpoint === undefined || rawEndpoint === '') {
    throw new ConfigError(SETTINGS.connectionString, 'has no Endpoint=', fix);
  }
  if (accessKey === undefined || accessKey === '') {
    throw new ConfigError(SETTINGS.connectionString, 'has no AccessKey=', fix);
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(rawEndpoint) ? rawEndpoint : `https://${rawEndpoint}`;
  let endpoint = parseEndpoint(SETTINGS.connectionString, withScheme, ['http:', 'https:']);
  const port = parts.get('port');
  if (port !== undefined && port !== '') {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
      throw new ConfigError(SETTINGS.connectionString, `has an invalid Port=${port}`, fix);
    }
    const url = new URL(endpoint);
    url.port = port;
    endpoint = url.origin;
  }
  return { kind: 'connectionString', connectionString, endpoint, accessKeys: Object.freeze([accessKey]) };
}

function parseEndpoint(setting: string, raw: string, schemes: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(setting, `has an endpoint that is not a URL: ${raw}`, 'Use an absolute URL such as https://<name>.webpubsub.azure.com.');
  }
  if (!schemes.includes(url.protocol)) {
    throw new ConfigError(
      setting,
      `has an endpoint with scheme ${url.protocol} (allowed: ${schemes.join(', ')})`,
      schemes.includes('http:')
        ? 'Use http:// for the local emulator or https:// for Azure.'
        : 'Use https://: keyless (Entra ID) access is only possible over TLS.',
    );
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new ConfigError(setting, 'has an endpoint with credentials, a query or a fragment', 'Give only the scheme, host and optional port.');
  }
  return url.origin;
}

function readClientId(env: Environment): string | undefined {
  const clientId = value(env, SETTINGS.clientId);
  if (clientId === undefined) return undefined;
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(clientId)) {
    throw new ConfigError(SETTINGS.clientId, `is not a GUID: ${clientId}`, 'Set it to the client id of the user-assigned managed identity, or remove it to use the default credential chain.');
  }
  return clientId;
}

/** The REST API's hub name rule. */
const HUB_NAME = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;

function readHub(env: Environment): string {
  const hub = value(env, SETTINGS.hub) ?? DEFAULT_HUB;
  if (!HUB_NAME.test(hub)) {
    throw new ConfigError(SETTINGS.hub, `is not a valid hub name: ${hub}`, `Start with a letter, then up to 127 letters, digits or _\`,.[] (default: ${DEFAULT_HUB}).`);
  }
  return hub;
}

const WEBHOOK_KEY = /^[A-Za-z0-9._~-]+$/;

function readWebhookKey(env: Environment): string | undefined {
  const key = value(env, SETTINGS.webhookKey);
  if (key === undefined) return undefined;
  if (key.length < MIN_WEBHOOK_KEY_LENGTH || key.length > 256 || !WEBHOOK_KEY.test(key)) {
    throw new ConfigError(
      SETTINGS.webhookKey,
      `must be ${MIN_WEBHOOK_KEY_LENGTH} to 256 characters of A-Z a-z 0-9 . _ ~ - (it travels in the event handler URL)`,
      'Generate one, e.g. node -e "console.log(crypto.randomBytes(24).toString(\'base64url\'))", and use the same value in the hub\'s URL template (?key=...).',
    );
  }
  return key;
}

const HOST_LABEL = /^[a-z0-9-]{1,63}$/;

function isHostName(name: string): boolean {
  if (name.length > 253) return false;
  return name.split('.').every((label) => HOST_LABEL.test(label) && !label.startsWith('-') && !label.endsWith('-'));
}

function readAllowedOrigins(env: Environment, endpoint: string): string[] {
  const raw = value(env, SETTINGS.allowedOrigins);
  if (raw === undefined) return [new URL(endpoint).hostname.toLowerCase()];
  const origins = raw
    .split(',')
    .map((origin) => origin.trim().toLowerCase())
    .filter((origin) => origin !== '');
  const bad = origins.find((origin) => !isHostName(origin));
  if (origins.length === 0 || bad !== undefined) {
    throw new ConfigError(
      SETTINGS.allowedOrigins,
      bad === undefined ? 'is empty' : `contains ${JSON.stringify(bad)}, which is not a host name (no scheme, port, path or *)`,
      'List the Web PubSub host names that may call the event handler, comma separated, e.g. myhub.webpubsub.azure.com; leave it unset to allow only the configured endpoint.',
    );
  }
  return origins;
}

function readPlatformAuth(env: Environment): boolean {
  const raw = value(env, SETTINGS.platformAuth);
  if (raw === undefined) return false;
  const lower = raw.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new ConfigError(SETTINGS.platformAuth, `is ${JSON.stringify(raw)}, expected True or False`, 'It is set by App Service Authentication; remove it unless the platform sets it.');
}
