/**
 * Entry point: `node dist/emulator/main.js [--port n] [--host h] [--access-key k] [--config file] [--tls ...]`.
 * Reads the settings, starts the emulator, prints how to reach it, and stops cleanly on Ctrl+C.
 */
import { parseCommandLine } from './cli.js';
import type { EmulatorConfig } from './config.js';
import { createConsoleLogger } from './log.js';
import { createEmulator, type Listening } from './server.js';
import { TlsSetupError } from './tls/credentials.js';

const commandLine = parseCommandLine({ argv: process.argv.slice(2), env: process.env });
if (commandLine.kind === 'help') {
  process.stdout.write(commandLine.text);
  process.exit(0);
}
if (commandLine.kind === 'invalid') {
  process.stderr.write(`The emulator cannot start because of its settings:\n${commandLine.problems.map((problem) => `  - ${problem}\n`).join('')}`);
  process.exit(1);
}

const { config, logLevel } = commandLine;
const log = createConsoleLogger(logLevel);
const emulator = createEmulator(config, { log });

try {
  const listening = await emulator.listen();
  process.stdout.write(banner(config, listening));
  if (config.allowUnverifiedEntraTokens) {
    log.warn('allowUnverifiedEntraTokens is on: REST accepts Microsoft Entra ID tokens without checking their signature. Development only.');
  }
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  if (error instanceof TlsSetupError) {
    process.stderr.write(`The emulator cannot serve HTTPS: ${error.message}\n`);
  } else if (code === 'EADDRINUSE') {
    process.stderr.write(`Port ${config.port} on ${config.host} is already in use. Stop the program using it, or pick another port with --port or EMULATOR_PORT.\n`);
  } else if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    process.stderr.write(`Cannot listen on host '${config.host}': it is not an address of this machine. Use --host localhost or 0.0.0.0.\n`);
  } else if (code === 'EACCES') {
    process.stderr.write(`Not allowed to listen on port ${config.port}. Use a port above 1023.\n`);
  } else {
    process.stderr.write(`The emulator could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
}

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  log.info(`${signal} received, closing client connections`);
  emulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      log.error(`shutdown failed: ${String(error)}`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => { stop('SIGINT'); });
process.on('SIGTERM', () => { stop('SIGTERM'); });

function banner(settings: EmulatorConfig, { port, endpoint, tls }: Listening): string {
  const wsEndpoint = endpoint.replace(/^http/, 'ws');
  const hubs = Object.keys(settings.hubs);
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const lines = [
    '',
    'Azure Web PubSub emulator (local development only)',
    `  listening on ${tls === undefined ? 'http' : 'https'}://${host}:${port}`,
    `  connection string: Endpoint=${endpoint};AccessKey=${settings.accessKeys[0] ?? ''};Version=1.0;`,
    `  client URL:        ${wsEndpoint}/client/hubs/{hub}?access_token={token}`,
    `  health:            ${endpoint}/api/health`,
    `  configured hubs:   ${hubs.length > 0 ? hubs.join(', ') : '(none; every hub uses the default settings)'}`,
  ];
  if (tls !== undefined) {
    lines.push(`  TLS certificate:   ${tls.certFile}${tls.selfSigned ? ' (self-signed, for localhost, 127.0.0.1 and ::1)' : ''}`);
    if (tls.selfSigned) lines.push(`  trust it in Node:  NODE_EXTRA_CA_CERTS=${tls.certFile}`);
  }
  if (settings.allowUnverifiedEntraTokens) lines.push('  Entra ID tokens:   accepted WITHOUT signature checks (development only)');
  return [...lines, '', ''].join('\n');
}
