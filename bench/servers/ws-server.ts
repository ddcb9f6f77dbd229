/**
 * The raw `ws` peer: rooms over plain WebSocket with JSON frames.
 *
 *   client → {"type":"join","room":"r"}              server → {"type":"joined","room":"r"}
 *   client → {"type":"publish","room":"r","data":…}  room   → {"type":"message","room":"r","from":"<id>","data":…}
 *
 * A publish is parsed once, serialized once, and the same buffer is sent to every member.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import { exitOnSignals, parseServerArgs } from './args.js';

const args = parseServerArgs(process.argv.slice(2));
const rooms = new Map<string, Set<WebSocket>>();
let nextId = 0;

const server = new WebSocketServer({
  host: args.host,
  port: args.port,
  perMessageDeflate: false,
  clientTracking: false,
  maxPayload: 1024 * 1024,
});

server.on('connection', (socket) => {
  const id = `c${(nextId += 1)}`;
  const joined = new Set<string>();
  socket.on('message', (raw: Buffer, isBinary) => {
    if (isBinary) return;
    let message: { type?: unknown; room?: unknown; data?: unknown };
    try {
      message = JSON.parse(raw.toString()) as typeof message;
    } catch {
      socket.close(1007, 'invalid JSON');
      return;
    }
    if (typeof message.room !== 'string') return;
    if (message.type === 'join') {
      let members = rooms.get(message.room);
      if (members === undefined) rooms.set(message.room, (members = new Set()));
      members.add(socket);
      joined.add(message.room);
      socket.send(JSON.stringify({ type: 'joined', room: message.room }));
    } else if (message.type === 'publish') {
      const members = rooms.get(message.room);
      if (members === undefined) return;
      const frame = Buffer.from(JSON.stringify({ type: 'message', room: message.room, from: id, data: message.data }));
      for (const member of members) member.send(frame, { binary: false });
    }
  });
  socket.on('close', () => {
    for (const room of joined) {
      const members = rooms.get(room);
      members?.delete(socket);
      if (members?.size === 0) rooms.delete(room);
    }
  });
  socket.on('error', () => undefined);
});

server.on('listening', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : args.port;
  console.log(`raw ws broadcast server listening on http://${args.host}:${port}`);
});

exitOnSignals(() => { server.close(); });
