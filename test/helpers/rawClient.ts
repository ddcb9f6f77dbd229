/**
 * A raw `ws` client for tests where exact frames matter: every frame lands in an inbox (JSON text
 * frames parsed), the close code and reason are captured, and refused handshakes report their
 * HTTP status.
 */
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { Inbox, withTimeout } from './waitFor.js';

export interface Frame {
  readonly binary: boolean;
  readonly data: Buffer;
  /** Parsed JSON for text frames that hold JSON. */
  readonly json?: any;
}

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

export interface RawClient {
  readonly ws: WebSocket;
  /** The subprotocol the server echoed ('' when none). */
  readonly protocol: string;
  readonly frames: Inbox<Frame>;
  /** The next JSON frame matching `predicate` (default: any). */
  next(predicate?: (json: any) => boolean, what?: string, ms?: number): Promise<any>;
  send(data: unknown): void;
  readonly closed: Promise<Closed>;
  close(code?: number, reason?: string): Promise<Closed>;
}

export interface OpenOptions {
  protocols?: string | string[];
  headers?: Record<string, string>;
}

export class HandshakeRefused extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`WebSocket handshake refused with HTTP ${status}`);
    this.status = status;
  }
}

export async function openRawClient(url: string, options: OpenOptions = {}): Promise<RawClient> {
  const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} });
  const frames = new Inbox<Frame>();
  ws.on('message', (data, isBinary) => {
    const bytes = data as Buffer;
    let json: unknown;
    if (!isBinary) {
      try {
        json = JSON.parse(bytes.toString('utf8'));
      } catch {
        json = undefined;
      }
    }
    frames.push({ binary: isBinary, data: bytes, ...(json === undefined ? {} : { json }) });
  });
  const closed = new Promise<Closed>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString('utf8') });
    });
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => {
        resolve();
      });
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        reject(new HandshakeRefused(res.statusCode ?? 0));
        ws.terminate();
      });
      ws.once('error', reject);
    }),
    10_000,
    `the WebSocket handshake with ${url}`,
  );
  return {
    ws,
    protocol: ws.protocol,
    frames,
    next: async (predicate = () => true, what = 'a JSON frame', ms = 10_000) =>
      (await frames.next((frame) => frame.json !== undefined && predicate(frame.json), what, ms)).json,
    send(data) {
      if (Buffer.isBuffer(data) || typeof data === 'string') ws.send(data);
      else ws.send(JSON.stringify(data));
    },
    closed,
    close(code = 1000, reason = '') {
      ws.close(code, reason);
      return withTimeout(closed, 10_000, 'the close handshake');
    },
  };
}

/** The HTTP status of an upgrade request (101 when accepted), seen without the WebSocket API. */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  const target = new URL(url.replace(/^ws/, 'http'));
  return withTimeout(
    new Promise<number>((resolve, reject) => {
      const req = request({
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          ...headers,
        },
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    }),
    10_000,
    `the upgrade answer of ${url}`,
  );
}
