/**
 * `npm start`: the whole chat on this machine. Starts the Web PubSub emulator configured for the
 * app's hub and the local Functions runner pointed at it, waits until both answer their health
 * checks, prints one banner with the chat URL, and stops both on Ctrl+C or SIGTERM.
 *
 * Usage: node dist/scripts/start.js [--app-port 7071] [--emulator-port 8080]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  chatEmulatorConfig,
  DEFAULT_APP_PORT,
  DEFAULT_EMULATOR_PORT,
  LOCAL_HUB,
  localConnectionString,
} from './chatEmulatorConfig.js';

/** Compiled, this file is dist/scripts/start.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EMULATOR_MAIN = join(ROOT, 'dist', 'emulator', 'main.js');
const RUNNER_MAIN = join(ROOT, 'dist', 'runner', 'main.js');
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

class StartError extends Error {}

interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** Output kept until startup succeeds, and shown only if it fails: one banner, not three. */
  readonly startupOutput: string[];
  streaming: boolean;
  readonly exited: Promise<number | null>;
}

function readPorts(): { appPort: number; emulatorPort: number } {
  let values: { 'app-port'?: string; 'emulator-port'?: string };
  try {
    ({ values } = parseArgs({ options: { 'app-port': { type: 'string' }, 'emulator-port': { type: 'string' } }, strict: true }));
  } catch (error) {
    throw new StartError(`${error instanceof Error ? error.message : String(error)}\nUsage: npm start -- [--app-port 7071] [--emulator-port 8080]`);
  }
  const port = (flag: string, raw: string | undefined, fallback: number): number => {
    const value = Number(raw ?? fallback);
    if (!Number.isInteger(value) || value < 1 || value > 65535) throw new StartError(`--${flag} must be a port number (1-65535), not ${raw ?? ''}.`);
    return value;
  };
  const appPort = port('app-port', values['app-port'], DEFAULT_APP_PORT);
  const emulatorPort = port('emulator-port', values['emulator-port'], DEFAULT_EMULATOR_PORT);
  if (appPort === emulatorPort) throw new StartError('--app-port and --emulator-port must differ.');
  return { appPort, emulatorPort };
}

/**
 * Fails early, and clearly, when something already listens on a port we need. `localhost` may
 * mean 127.0.0.1 or ::1 to a browser, so both are probed: a server on either would take some of
 * the traffic meant for us.
 */
async function assertPortFree(port: number, what: string, flag: string): Promise<void> {
  for (const address of ['127.0.0.1', '::1']) {
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE') {
          reject(new StartError(`Port ${port} (${what}) is already in use: is another npm start, func start or emulator running? Stop it, or choose another port with npm start -- --${flag} <port>.`));
        } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'EAFNOSUPPORT') {
          resolve(); // no IPv6 here: nothing can listen there either
        } else {
          reject(error);
        }
      });
      probe.listen(port, address, () => probe.close(() => { resolve(); }));
    });
  }
}

function startChild(name: string, script: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const record: Child = {
    name,
    process: child,
    startupOutput: [],
    streaming: false,
    exited: new Promise((resolve) => child.once('exit', (code) => { resolve(code); })),
  };
  for (const [stream, write] of [
    [child.stdout, (line: string) => { console.log(line); }],
    [child.stderr, (line: string) => { console.error(line); }],
  ] as const) {
    createInterface({ input: stream }).on('line', (line) => {
      if (record.streaming) write(`[${name}] ${line}`);
      else record.startupOutput.push(line);
    });
  }
  return record;
}

/** Polls a health URL until it answers 2xx; fails when the process exits or time runs out. */
async function waitHealthy(child: Child, url: string, method: 'GET' | 'HEAD'): Promise<void> {
  let exitCode: number | null | undefined;
  void child.exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new StartError(`The ${child.name} stopped during startup (exit code ${String(exitCode)}):\n${child.startupOutput.join('\n')}`);
    }
    try {
      const response = await fetch(url, { method, signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new StartError(`The ${child.name} did not become healthy at ${url} within ${STARTUP_TIMEOUT_MS / 1000} s:\n${child.startupOutput.join('\n')}`);
}

async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await child.exited;
  clearTimeout(timer);
}

function banner(appPort: number, emulatorPort: number): string {
  const chatUrl = `http://localhost:${appPort}/`;
  return [
    '',
    '  Serverless chat is running (local Azure Functions runner + Web PubSub emulator)',
    '',
    `  Chat:        ${chatUrl}   (open it in two browser tabs)`,
    `  Functions:   GET ${chatUrl}negotiate?id=<name>, OPTIONS|POST ${chatUrl}eventhandler`,
    `  Web PubSub:  http://localhost:${emulatorPort} (hub ${LOCAL_HUB}; connection string ${localConnectionString(emulatorPort)})`,
    '',
    '  Press Ctrl+C to stop.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { appPort, emulatorPort } = readPorts();
  await assertPortFree(emulatorPort, 'Web PubSub emulator', 'emulator-port');
  await assertPortFree(appPort, 'chat app', 'app-port');

  const workDir = mkdtempSync(join(tmpdir(), 'chat-start-'));
  const configFile = join(workDir, 'emulator.json');
  writeFileSync(configFile, JSON.stringify(chatEmulatorConfig({ appPort, emulatorPort })));

  const children: Child[] = [];
  let stopping = false;
  const stopAll = async (exitCode: number): Promise<never> => {
    stopping = true;
    await Promise.all(children.map(stopChild));
    rmSync(workDir, { recursive: true, force: true });
    process.exit(exitCode);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.log('\nStopping…');
      void stopAll(0);
    });
  }

  try {
    const emulator = startChild('emulator', EMULATOR_MAIN, ['--config', configFile, '--port', String(emulatorPort), '--host', 'localhost'], process.env);
    children.push(emulator);
    await waitHealthy(emulator, `http://localhost:${emulatorPort}/api/health`, 'HEAD');

    // Settings meant for Azure would conflict with the local connection string: drop them.
    const { WEBPUBSUB_ENDPOINT: _endpoint, WEBPUBSUB_ALLOWED_ORIGINS: _origins, WEBPUBSUB_WEBHOOK_KEY: _key, WEBSITE_AUTH_ENABLED: _auth, ...inherited } = process.env;
    const appEnv: NodeJS.ProcessEnv = { ...inherited, WebPubSubConnectionString: localConnectionString(emulatorPort), WEBPUBSUB_HUB: LOCAL_HUB };
    const runner = startChild('functions', RUNNER_MAIN, ['--port', String(appPort), '--host', 'localhost'], appEnv);
    children.push(runner);
    await waitHealthy(runner, `http://localhost:${appPort}/admin/host/status`, 'GET');

    for (const child of children) {
      child.streaming = true;
      void child.exited.then((code) => {
        if (stopping) return;
        console.error(`The ${child.name} exited unexpectedly (exit code ${String(code)}); stopping everything.`);
        void stopAll(1);
      });
    }
    console.log(banner(appPort, emulatorPort));
  } catch (error) {
    console.error(error instanceof StartError ? error.message : error);
    await stopAll(1);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof StartError ? error.message : error);
  process.exit(1);
});
