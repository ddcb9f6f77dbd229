/**
 * `node dist/runner/main.js [--port 7071] [--host localhost]`: serves the app's functions
 * locally like `func start` does, reading the same settings from the environment.
 */
import { parseArgs } from 'node:util';
import { functions, prepareFunctions } from '../src/functions/index.js';
import { consoleLog, createRunner } from './server.js';

export const DEFAULT_RUNNER_PORT = 7071;
export const DEFAULT_RUNNER_HOST = 'localhost';

function fail(message: string): never {
  console.error(`runner: ${message}`);
  process.exit(1);
}

function readOptions(): { port: number; host: string } {
  let values: { port?: string; host?: string };
  try {
    ({ values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' } }, strict: true }));
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}. Usage: node dist/runner/main.js [--port 7071] [--host localhost]`);
  }
  const port = Number(values.port ?? DEFAULT_RUNNER_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number (0-65535), not ${values.port ?? ''}`);
  return { port, host: values.host ?? DEFAULT_RUNNER_HOST };
}

const { port, host } = readOptions();
try {
  prepareFunctions();
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}

const server = createRunner({ functions, log: consoleLog });
server.once('error', (error: NodeJS.ErrnoException) => {
  fail(
    error.code === 'EADDRINUSE'
      ? `port ${port} on ${host} is already in use (another npm start or func start?). Stop that process or pass --port.`
      : error.message,
  );
});
server.listen(port, host, () => {
  const address = server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  console.log(`runner: listening on http://${host}:${actualPort}/ (functions: ${functions.map((f) => `${f.methods.join('|')} /${f.route}`).join(', ')})`);
});

function shutdown(): void {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
