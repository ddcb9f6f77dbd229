/**
 * A bare `node:http` CloudEvents handler, to tell the emulator's webhook cost apart from the
 * Functions app's. It answers the abuse-protection OPTIONS, and for user events:
 *
 *   event "echo"     → replies with the request body (the emulator delivers it to the sender)
 *   event "message"  → wraps the text as the chat does ({kind, id, from, message, time}), sends
 *                      it to everyone through the emulator's REST API (`:send`, keep-alive), and
 *                      answers 204 once that call returned, as the app's function does
 *
 * Flags: --port N --emulator http://host:port --hub NAME --access-key KEY
 */
import { randomUUID } from 'node:crypto';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { signClientToken, DEFAULT_ACCESS_KEY } from '../lib/token.js';
import { exitOnSignals } from './args.js';

function flag(name: string, fallback?: string): string {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? process.argv[at + 1] : fallback;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

const port = Number(flag('port', '0'));
const emulator = new URL(flag('emulator'));
const hub = flag('hub', 'bench');
const accessKey = flag('access-key', DEFAULT_ACCESS_KEY);
const sendPath = `/api/hubs/${encodeURIComponent(hub)}/:send?api-version=2024-12-01`;
const authorization = `Bearer ${signClientToken(accessKey, { audience: `${emulator.origin}/api/hubs/${hub}/:send`, lifetimeSeconds: 6 * 3600 })}`;
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function broadcast(body: Buffer, done: (status: number) => void): void {
  const call = request(
    {
      host: emulator.hostname,
      port: emulator.port,
      method: 'POST',
      path: sendPath,
      agent,
      headers: { 'content-type': 'application/json', 'content-length': body.length, authorization },
    },
    (response) => {
      response.resume();
      response.on('end', () => {
        done(response.statusCode ?? 500);
      });
    },
  );
  call.on('error', () => {
    done(502);
  });
  call.end(body);
}

function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  if (req.method === 'OPTIONS') {
    res.writeHead(200, { 'webhook-allowed-origin': req.headers['webhook-request-origin'] ?? '*' }).end();
    return;
  }
  const event = req.headers['ce-eventname'];
  if (event === 'echo') {
    res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'text/plain' }).end(body);
    return;
  }
  if (event === 'message') {
    const from = req.headers['ce-userid'];
    const payload = Buffer.from(
      JSON.stringify({ kind: 'message', id: randomUUID(), from: typeof from === 'string' ? from : '', message: body.toString('utf8'), time: new Date().toISOString() }),
    );
    broadcast(payload, (status) => {
      res.writeHead(status >= 200 && status < 300 ? 204 : 500).end();
    });
    return;
  }
  res.writeHead(204).end();
}

const server = createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    handle(req, res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  });
});

// How many TCP connections the emulator opened to this handler: a keep-alive pool that works
// opens a few and reuses them.
let accepted = 0;
server.on('connection', () => {
  accepted += 1;
});

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  console.log(`CloudEvents handler listening on http://127.0.0.1:${actual}`);
});

exitOnSignals(() => {
  console.log(`CloudEvents handler: ${accepted} TCP connections accepted`);
  server.close();
});
