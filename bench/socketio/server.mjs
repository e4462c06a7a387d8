#!/usr/bin/env node
/**
 * The benchmark's Socket.IO reference (bench/run.mjs, target "socketio"): what most people
 * would build a chat room with. One Node process, rooms in memory: a client connects with
 * `auth: { room }`, joins that room and gets `welcome`; every `send` it emits is broadcast
 * to the whole room with `io.to(room).emit` (Socket.IO encodes a broadcast once for all
 * sockets). No auth, no storage, no ack, no presence, like the floor.
 *
 *   node bench/socketio/server.mjs      → prints "listening <port>" on stdout (127.0.0.1, free port)
 *
 * Runs as a child of the bench, on the same pinned Node; it exits when the bench goes away
 * (IPC channel closed) or on SIGTERM.
 */
import { createServer } from "node:http";
import { Server } from "socket.io";

const http = createServer((req, res) => {
  if (req.url === "/health") {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    return;
  }
  res.writeHead(404).end();
});
const io = new Server(http, {
  transports: ["websocket"],
  serveClient: false,
  perMessageDeflate: false,
  cors: { origin: false },
});

io.on("connection", (socket) => {
  const room = typeof socket.handshake.auth?.room === "string" ? socket.handshake.auth.room : "";
  if (!room) {
    socket.disconnect(true);
    return;
  }
  socket.join(room);
  socket.emit("welcome", {});
  socket.on("send", (f) => {
    if (typeof f !== "object" || f === null) return;
    io.to(room).emit("msgs", { messages: [{ cid: f.cid, text: f.text }] });
  });
});

const shutdown = () => {
  io.close();
  http.close();
  setTimeout(() => process.exit(0), 500).unref();
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
// The bench holds an IPC channel: when it is gone, so are we.
process.on("disconnect", () => process.exit(0));

http.listen(0, "127.0.0.1", 511, () => {
  const addr = http.address();
  if (addr && typeof addr === "object") process.stdout.write(`listening ${addr.port}\n`);
});
