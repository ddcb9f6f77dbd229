/**
 * Settings from the outside world: the optional JSON file (`--config` / `EMULATOR_CONFIG`), then
 * environment variables, then flags, each layer over the previous one and all over the defaults.
 */
import { readFileSync } from 'node:fs';
import type { EmulatorConfig } from './config.js';
import type { LogLevel } from './log.js';
import {
  Problems,
  checkAccessKeys,
  checkHost,
  checkPort,
  checkSwitch,
  checkTls,
  parseConfigObject,
  resolveConfig,
  type ConfigInput,
} from './configInput.js';

export type CommandLine =
  | { readonly kind: 'run'; readonly config: EmulatorConfig; readonly logLevel: LogLevel }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'invalid'; readonly problems: readonly string[] };

export interface CommandLineSources {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads the config file as UTF-8; defaults to the file system. */
  readonly readFile?: (path: string) => string;
}

export const HELP_TEXT = `Local Azure Web PubSub emulator

Usage: npm run emulator -- [options]

Options (override environment variables, which override the config file):
  --port <n>          port to listen on (default 8080; 0 picks a free port)      env EMULATOR_PORT
  --host <name>       address to bind (default localhost)                        env EMULATOR_HOST
  --access-key <key>  access key; repeat once for a secondary key                env EMULATOR_ACCESS_KEYS (comma list)
  --config <path>     JSON file with hubs, event handlers and timings            env EMULATOR_CONFIG
  --log-level <level> debug, info (default), warn, error or silent                env EMULATOR_LOG_LEVEL
  --tls-cert <pem>    serve https:// and wss:// with this certificate...         env EMULATOR_TLS_CERT
  --tls-key <pem>     ...and this private key                                    env EMULATOR_TLS_KEY
  --tls               serve https:// and wss:// with a generated self-signed     env EMULATOR_TLS=true
                      development certificate (needs openssl on PATH)
  --tls-dir <path>    where the generated certificate is kept (implies --tls)    env EMULATOR_TLS_DIR
  --allow-unverified-entra-tokens                                                env EMULATOR_ALLOW_UNVERIFIED_ENTRA_TOKENS=true
                      development only: accept Microsoft Entra ID bearer tokens
                      on the REST API without verifying their signature
  --help              show this text

See emulator/README.md for the config file format.
`;

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Options that take a value. */
const VALUE_OPTIONS = ['--port', '--host', '--access-key', '--config', '--log-level', '--tls-cert', '--tls-key', '--tls-dir'] as const;
/** Options that are switches. */
const SWITCH_OPTIONS = ['--tls', '--allow-unverified-entra-tokens'] as const;

type ValueOption = (typeof VALUE_OPTIONS)[number];

interface Flags {
  values: Partial<Record<Exclude<ValueOption, '--access-key'>, string>>;
  accessKeys: string[];
  switches: Set<string>;
  help: boolean;
}

export function parseCommandLine(sources: CommandLineSources): CommandLine {
  const problems = new Problems();
  const flags = parseFlags(sources.argv, problems);
  if (flags.help) return { kind: 'help', text: HELP_TEXT };

  const layers: ConfigInput[] = [];
  const configPath = flags.values['--config'] ?? nonEmpty(sources.env.EMULATOR_CONFIG);
  if (configPath !== undefined) {
    const name = flags.values['--config'] !== undefined ? '--config' : 'EMULATOR_CONFIG';
    const text = readConfigFile(configPath, name, sources.readFile ?? ((path) => readFileSync(path, 'utf8')), problems);
    if (text !== undefined) {
      const json = parseJson(text, configPath, problems);
      if (json !== undefined) layers.push(parseConfigObject(json.value, configPath, problems));
    }
  }
  layers.push(environmentLayer(sources.env, problems));
  layers.push(flagLayer(flags, problems));

  const logLevel = checkLogLevel(flags.values['--log-level'], nonEmpty(sources.env.EMULATOR_LOG_LEVEL), problems);
  if (problems.list.length > 0) return { kind: 'invalid', problems: problems.list };
  return { kind: 'run', config: resolveConfig(layers), logLevel };
}

function parseFlags(argv: readonly string[], problems: Problems): Flags {
  const flags: Flags = { values: {}, accessKeys: [], switches: new Set(), help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      flags.help = true;
      continue;
    }
    const equals = arg.indexOf('=');
    const name = equals > 0 ? arg.slice(0, equals) : arg;
    if ((SWITCH_OPTIONS as readonly string[]).includes(name)) {
      if (equals > 0) problems.add(name, 'the option takes no value.', `Write ${name} alone.`);
      else flags.switches.add(name);
      continue;
    }
    const option = VALUE_OPTIONS.find((known) => known === name);
    if (option === undefined) {
      problems.add(arg, 'unknown option.', `Use ${[...VALUE_OPTIONS, ...SWITCH_OPTIONS].join(', ')} or --help.`);
      continue;
    }
    let value: string | undefined;
    if (equals > 0) {
      value = arg.slice(equals + 1);
    } else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) {
        problems.add(name, 'the option needs a value.', `Write ${name} <value>.`);
        continue;
      }
      i++;
    }
    if (option === '--access-key') flags.accessKeys.push(value);
    else flags.values[option] = value;
  }
  return flags;
}

function environmentLayer(env: CommandLineSources['env'], problems: Problems): ConfigInput {
  const layer: ConfigInput = {};
  const port = nonEmpty(env.EMULATOR_PORT);
  const host = nonEmpty(env.EMULATOR_HOST);
  const keys = nonEmpty(env.EMULATOR_ACCESS_KEYS);
  if (port !== undefined) layer.port = checkPort(port, 'EMULATOR_PORT', problems);
  if (host !== undefined) layer.host = checkHost(host, 'EMULATOR_HOST', problems);
  if (keys !== undefined) layer.accessKeys = checkAccessKeys(keys.split(',').map((key) => key.trim()), 'EMULATOR_ACCESS_KEYS', problems);
  const selfSigned = switchOf(env.EMULATOR_TLS, 'EMULATOR_TLS', problems);
  const tls = checkTls(
    { certFile: nonEmpty(env.EMULATOR_TLS_CERT), keyFile: nonEmpty(env.EMULATOR_TLS_KEY), selfSigned, directory: nonEmpty(env.EMULATOR_TLS_DIR) },
    { certFile: 'EMULATOR_TLS_CERT', keyFile: 'EMULATOR_TLS_KEY', selfSigned: 'EMULATOR_TLS', directory: 'EMULATOR_TLS_DIR' },
    problems,
  );
  if (tls !== undefined) layer.tls = tls;
  const entra = switchOf(env.EMULATOR_ALLOW_UNVERIFIED_ENTRA_TOKENS, 'EMULATOR_ALLOW_UNVERIFIED_ENTRA_TOKENS', problems);
  if (entra !== undefined) layer.allowUnverifiedEntraTokens = entra;
  return layer;
}

function flagLayer(flags: Flags, problems: Problems): ConfigInput {
  const layer: ConfigInput = {};
  const { values } = flags;
  if (values['--port'] !== undefined) layer.port = checkPort(values['--port'], '--port', problems);
  if (values['--host'] !== undefined) layer.host = checkHost(values['--host'], '--host', problems);
  if (flags.accessKeys.length > 0) layer.accessKeys = checkAccessKeys(flags.accessKeys, '--access-key', problems);
  const tls = checkTls(
    { certFile: nonEmpty(values['--tls-cert']), keyFile: nonEmpty(values['--tls-key']), selfSigned: flags.switches.has('--tls'), directory: nonEmpty(values['--tls-dir']) },
    { certFile: '--tls-cert', keyFile: '--tls-key', selfSigned: '--tls', directory: '--tls-dir' },
    problems,
  );
  if (tls !== undefined) layer.tls = tls;
  if (flags.switches.has('--allow-unverified-entra-tokens')) layer.allowUnverifiedEntraTokens = true;
  return layer;
}

function switchOf(value: string | undefined, name: string, problems: Problems): boolean | undefined {
  const text = nonEmpty(value);
  return text === undefined ? undefined : checkSwitch(text, name, problems);
}

function checkLogLevel(flag: string | undefined, env: string | undefined, problems: Problems): LogLevel {
  const [name, value] = flag !== undefined ? ['--log-level', flag] : ['EMULATOR_LOG_LEVEL', env];
  if (value === undefined) return 'info';
  const level = LOG_LEVELS.find((candidate) => candidate === value.toLowerCase());
  if (level === undefined) problems.add(name, `"${value}" is not a log level.`, `Use one of: ${LOG_LEVELS.join(', ')}.`);
  return level ?? 'info';
}

function readConfigFile(path: string, name: string, readFile: (path: string) => string, problems: Problems): string | undefined {
  try {
    return readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'the file does not exist' : code === 'EISDIR' ? 'it is a directory' : `it cannot be read (${code ?? String(error)})`;
    problems.add(name, `cannot read '${path}': ${why}.`, 'Point it at a JSON config file, or leave it unset.');
    return undefined;
  }
}

function parseJson(text: string, path: string, problems: Problems): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text.replace(/^\uFEFF/, '')) as unknown };
  } catch (error) {
    problems.add(path, `not valid JSON (${(error as Error).message}).`, 'Fix the JSON syntax.');
    return undefined;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
