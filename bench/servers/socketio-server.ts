/**
 * The Socket.IO peer: rooms with `io.to(room).emit`, WebSocket transport only, no compression.
 * `--recovery` turns on connection state recovery (missed packets replayed for 30 s).
 *
 *   emit("join", room, ack)        → socket.join(room); ack(room)
 *   emit("publish", room, data)    → io.to(room).emit("message", data)
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { exitOnSignals, parseServerArgs } from './args.js';

const args = parseServerArgs(process.argv.slice(2));
const recovery = args.flags.has('recovery');

const httpServer = createServer();
const io = new Server(httpServer, {
  transports: ['websocket'],
  perMessageDeflate: false,
  httpCompression: false,
  serveClient: false,
  maxHttpBufferSize: 1024 * 1024,
  ...(recovery ? { connectionStateRecovery: { maxDisconnectionDuration: 30_000, skipMiddlewares: true } } : {}),
});

// The upgrade request is kept per connection by default; nothing here needs it (memory).
io.engine.on('connection', (raw: { request: unknown }) => {
  raw.request = null;
});

io.on('connection', (socket) => {
  socket.on('join', (room: unknown, ack: unknown) => {
    if (typeof room !== 'string') return;
    void socket.join(room);
    if (typeof ack === 'function') (ack as (r: string) => void)(room);
  });
  socket.on('publish', (room: unknown, data: unknown) => {
    if (typeof room !== 'string') return;
    io.to(room).emit('message', data);
  });
});

httpServer.listen(args.port, args.host, () => {
  const address = httpServer.address();
  const port = typeof address === 'object' && address !== null ? address.port : args.port;
  console.log(`socket.io server${recovery ? ' (connection state recovery)' : ''} listening on http://${args.host}:${port}`);
});

exitOnSignals(() => {
  void io.close();
});
