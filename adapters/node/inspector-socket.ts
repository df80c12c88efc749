/**
 * Just enough of a WebSocket client to talk to a V8 inspector on loopback: Node 20 has no WebSocket
 * global without a flag, and the inspector's protocol needs only text frames of JSON.
 *
 * @module
 */

import { connect, type Socket } from "node:net";
import { randomBytes } from "node:crypto";

/** An open inspector session: send a method, wait for its result or for an event. */
export interface InspectorSocket {
  /** Sends `method` and resolves with its `result`, or rejects with its `error`. */
  call(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Resolves with the params of the next `method` event. */
  next(method: string): Promise<Record<string, unknown>>;
  /** Calls `fn` with the params of every `method` event from now on. */
  on(method: string, fn: (params: Record<string, unknown>) => void): void;
  close(): void;
}

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message?: string };
}

/** Opens a WebSocket to `url` (`ws://127.0.0.1:PORT/ID`), which must be on loopback. */
export function openInspectorSocket(url: string): Promise<InspectorSocket> {
  const { hostname, port, pathname } = new URL(url);
  if (hostname !== "127.0.0.1" && hostname !== "localhost" && hostname !== "[::1]") {
    return Promise.reject(new Error(`Refusing to open an inspector off loopback: ${url}`));
  }
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ""), port: Number(port) });
    const key = randomBytes(16).toString("base64");
    let buffer = Buffer.alloc(0);
    let open = false;
    const waiting = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
    const watchers: { method: string; resolve: (p: Record<string, unknown>) => void }[] = [];
    const listeners: { method: string; fn: (p: Record<string, unknown>) => void }[] = [];
    let nextId = 1;
    const fail = (error: Error) => {
      reject(error);
      for (const pending of waiting.values()) pending.reject(error);
      waiting.clear();
    };
    socket.once("error", fail);
    socket.once("close", () => fail(new Error("The inspector closed the connection")));
    socket.on("connect", () => {
      socket.write(
        `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    const onMessage = (text: string) => {
      const message = JSON.parse(text) as Message;
      if (message.id !== undefined) {
        const pending = waiting.get(message.id);
        waiting.delete(message.id);
        if (message.error) pending?.reject(new Error(message.error.message ?? "inspector error"));
        else pending?.resolve(message.result ?? {});
      } else if (message.method) {
        for (const listener of listeners) if (listener.method === message.method) listener.fn(message.params ?? {});
        const index = watchers.findIndex((w) => w.method === message.method);
        if (index >= 0) watchers.splice(index, 1)[0]!.resolve(message.params ?? {});
      }
    };
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!open) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString("latin1");
        if (!/^HTTP\/1\.1 101/.test(head)) return fail(new Error(`The inspector refused the upgrade: ${head.split("\r\n")[0]}`));
        buffer = buffer.subarray(end + 4);
        open = true;
        resolve(session(socket, waiting, watchers, listeners, () => nextId++));
      }
      for (;;) {
        const frame = readFrame(buffer);
        if (!frame) break;
        buffer = buffer.subarray(frame.length);
        if (frame.opcode === 1) onMessage(frame.payload.toString("utf8"));
      }
    });
  });
}

function session(
  socket: Socket,
  waiting: Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>,
  watchers: { method: string; resolve: (p: Record<string, unknown>) => void }[],
  listeners: { method: string; fn: (p: Record<string, unknown>) => void }[],
  id: () => number,
): InspectorSocket {
  return {
    call(method, params = {}) {
      const callId = id();
      return new Promise((resolve, reject) => {
        waiting.set(callId, { resolve, reject });
        socket.write(maskedTextFrame(JSON.stringify({ id: callId, method, params })));
      });
    },
    next(method) {
      return new Promise((resolve) => watchers.push({ method, resolve }));
    },
    on(method, fn) {
      listeners.push({ method, fn });
    },
    close() {
      socket.destroy();
    },
  };
}

/** One unfragmented server frame at the start of `buffer`, or undefined until it has all arrived. */
function readFrame(buffer: Buffer): { opcode: number; payload: Buffer; length: number } | undefined {
  if (buffer.length < 2) return undefined;
  const opcode = buffer[0]! & 0x0f;
  let length = buffer[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  if (buffer.length < offset + length) return undefined;
  return { opcode, payload: buffer.subarray(offset, offset + length), length: offset + length };
}

/** A client's text frame, masked as RFC 6455 requires of clients. */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const mask = randomBytes(4);
  const size = payload.length < 126 ? 1 : payload.length < 65_536 ? 3 : 9;
  const head = Buffer.alloc(1 + size + 4);
  head[0] = 0x81;
  if (size === 1) head[1] = 0x80 | payload.length;
  else if (size === 3) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(payload.length, 2);
  } else {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  mask.copy(head, 1 + size);
  for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([head, payload]);
}
