/**
 * A minimal WebSocket client (RFC 6455) on a bare `net.Socket`, for the load generator only.
 *
 * The generator receives every fan-out delivery of every client, so its per-message cost decides
 * how high a rate can be measured before it, not the server, is the bottleneck. This client reads
 * with `onread` into one buffer shared by all sockets (reads are handled one at a time on the
 * main thread), parses frames in place and hands the payload range to the caller, which must
 * not keep a reference to the bytes. No extensions; text and binary frames; fragments
 * reassembled; pings answered; client frames masked as the protocol requires.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_HANDSHAKE_BYTES = 64 * 1024;

export interface LeanSocketOptions {
  readonly host: string;
  readonly port: number;
  /** Path and query, e.g. `/client/hubs/chat?access_token=…`. */
  readonly path: string;
  readonly protocols?: readonly string[];
  readonly localAddress?: string;
  readonly onOpen: (protocol: string | undefined) => void;
  /** A complete text or binary message: bytes `data[start..end)`, valid only during the call. */
  readonly onMessage: (data: Buffer, start: number, end: number) => void;
  /** Called once, whatever ended the connection; 1006 when no close frame arrived. */
  readonly onClose: (code: number, reason: string) => void;
  /** Handshake refused (HTTP status) or a network error before the close. */
  readonly onError: (error: Error) => void;
}

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

export class LeanSocket {
  readyState = CONNECTING;
  private readonly socket: Socket;
  private readonly key = randomBytes(16).toString('base64');
  private pending: Buffer | undefined;
  private fragments: Buffer[] | undefined;
  private closeCode = 1006;
  private closeReason = '';
  private closed = false;

  constructor(private readonly options: LeanSocketOptions) {
    this.socket = connect({
      host: options.host,
      port: options.port,
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => this.onRead(n, buf as Buffer) },
    });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => this.socket.write(this.request()));
    this.socket.on('error', (error) => {
      if (this.readyState === CONNECTING) this.options.onError(error);
    });
    this.socket.on('close', () => { this.finish(); });
  }

  send(text: string): void {
    if (this.readyState !== OPEN) return;
    this.socket.write(frame(0x1, Buffer.from(text)));
  }

  /** Sends a close frame and ends the connection once the server answers (or after 1 s). */
  close(code = 1000): void {
    if (this.readyState !== OPEN) {
      this.terminate();
      return;
    }
    this.readyState = CLOSING;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.socket.write(frame(0x8, payload));
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Destroys the TCP connection without a close frame. */
  terminate(): void {
    this.socket.destroy();
  }

  private request(): string {
    const { host, port, path, protocols } = this.options;
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: ${host}:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${this.key}`,
      'Sec-WebSocket-Version: 13',
    ];
    if (protocols !== undefined && protocols.length > 0) lines.push(`Sec-WebSocket-Protocol: ${protocols.join(', ')}`);
    return `${lines.join('\r\n')}\r\n\r\n`;
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    const wasConnecting = this.readyState === CONNECTING;
    this.readyState = CLOSED;
    if (wasConnecting) this.options.onError(new Error('connection closed during the handshake'));
    this.options.onClose(this.closeCode, this.closeReason);
  }

  private onRead(n: number, buf: Buffer): boolean {
    let data = buf;
    let end = n;
    if (this.pending !== undefined) {
      data = Buffer.concat([this.pending, buf.subarray(0, n)]);
      end = data.length;
      this.pending = undefined;
    }
    let pos = 0;
    if (this.readyState === CONNECTING) {
      const headEnd = data.indexOf('\r\n\r\n');
      if (headEnd < 0 || headEnd >= end) {
        if (end > MAX_HANDSHAKE_BYTES) this.fail(new Error('handshake response too large'));
        else this.pending = Buffer.from(data.subarray(0, end));
        return true;
      }
      if (!this.handshake(data.toString('latin1', 0, headEnd))) return false;
      pos = headEnd + 4;
    }
    while (pos < end && !this.closed) {
      const available = end - pos;
      if (available < 2) break;
      const b0 = data[pos]!;
      const b1 = data[pos + 1]!;
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (available < 4) break;
        length = data.readUInt16BE(pos + 2);
        header = 4;
      } else if (length === 127) {
        if (available < 10) break;
        length = Number(data.readBigUInt64BE(pos + 2));
        header = 10;
      }
      if ((b1 & 0x80) !== 0) {
        this.fail(new Error('the server sent a masked frame'));
        return false;
      }
      if (available < header + length) break;
      this.onFrame(b0, data, pos + header, pos + header + length);
      pos += header + length;
    }
    if (pos < end && !this.closed) this.pending = Buffer.from(data.subarray(pos, end));
    return true;
  }

  private onFrame(b0: number, data: Buffer, start: number, end: number): void {
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if (opcode === 0x1 || opcode === 0x2) {
      if (fin) {
        this.options.onMessage(data, start, end);
      } else {
        this.fragments = [Buffer.from(data.subarray(start, end))];
      }
    } else if (opcode === 0x0 && this.fragments !== undefined) {
      this.fragments.push(Buffer.from(data.subarray(start, end)));
      if (fin) {
        const whole = Buffer.concat(this.fragments);
        this.fragments = undefined;
        this.options.onMessage(whole, 0, whole.length);
      }
    } else if (opcode === 0x8) {
      this.closeCode = end - start >= 2 ? data.readUInt16BE(start) : 1005;
      this.closeReason = end - start > 2 ? data.toString('utf8', start + 2, end) : '';
      if (this.readyState === OPEN) {
        this.readyState = CLOSING;
        this.socket.write(frame(0x8, Buffer.from(data.subarray(start, Math.min(end, start + 2)))));
      }
      this.socket.end();
    } else if (opcode === 0x9) {
      this.socket.write(frame(0xa, Buffer.from(data.subarray(start, end))));
    }
  }

  private handshake(head: string): boolean {
    const [statusLine = '', ...headerLines] = head.split('\r\n');
    const status = Number(statusLine.split(' ')[1]);
    if (status !== 101) {
      this.fail(new Error(`handshake answered HTTP ${status}`));
      return false;
    }
    const headers = new Map<string, string>();
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const expected = createHash('sha1').update(this.key + GUID).digest('base64');
    if (headers.get('sec-websocket-accept') !== expected) {
      this.fail(new Error('handshake: wrong Sec-WebSocket-Accept'));
      return false;
    }
    const protocol = headers.get('sec-websocket-protocol');
    const wanted = this.options.protocols ?? [];
    if (wanted.length > 0 && (protocol === undefined || !wanted.includes(protocol))) {
      this.fail(new Error(`handshake: server chose subprotocol ${protocol ?? '(none)'}`));
      return false;
    }
    this.readyState = OPEN;
    this.options.onOpen(protocol);
    return true;
  }

  private fail(error: Error): void {
    if (this.readyState === CONNECTING) this.options.onError(error);
    this.readyState = CLOSED;
    this.socket.destroy();
  }
}

/** One masked client frame. */
function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(header + 4 + length);
  out[0] = 0x80 | opcode;
  if (header === 2) {
    out[1] = 0x80 | length;
  } else if (header === 4) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = (Math.random() * 0x1_0000_0000) >>> 0;
  out.writeUInt32BE(mask, header);
  const m0 = mask >>> 24;
  const m1 = (mask >>> 16) & 0xff;
  const m2 = (mask >>> 8) & 0xff;
  const m3 = mask & 0xff;
  const keys = [m0, m1, m2, m3];
  const offset = header + 4;
  for (let i = 0; i < length; i += 1) out[offset + i] = payload[i]! ^ keys[i & 3]!;
  return out;
}
