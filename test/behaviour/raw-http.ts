/**
 * HTTP/1.1 over a raw socket, for tests that must control every byte a client sends and see every
 * byte (and the end) a server answers with: an HTTP client would fix, refuse or hide most of them.
 *
 * @module
 */

import { connect } from "node:net";

/** A part of what the client sends: bytes, a pause before the next part, or the client's hang-up (FIN). */
export type Piece = string | Uint8Array | { pauseMs: number } | { hangUp: true };

/** One response read off the connection. */
export interface RawResponse {
  /** `HTTP/1.1`, `HTTP/1.0`. */
  version: string;
  status: number;
  reason: string;
  /** Header fields in order, names lower-cased. */
  fields: [string, string][];
  /** The body, de-chunked. */
  body: Buffer;
  /** Milliseconds from connect to the last byte of this response. */
  atMs: number;
}

/**
 * How a connection ended: `closed` by the server (FIN), `reset` (RST, or a write the server
 * refused), or still `open` when the client gave up (its deadline, or it had read all it waited for).
 */
export type ConnectionEnd = "closed" | "reset" | "open";

/** What one connection saw. */
export interface RawExchange {
  responses: RawResponse[];
  end: ConnectionEnd;
  /** Milliseconds from connect to the end (or to when the client gave up). */
  endMs: number;
  /** Bytes received after the last complete response (a response cut short, or garbage). */
  rest: Buffer;
  /** Every byte received. */
  raw: Buffer;
  /** Parts of the request that could not be written because the connection had already ended. */
  unsent: number;
  /** The socket error, if any. */
  error?: string;
}

/** Options of {@linkcode exchange}. */
export interface ExchangeOptions {
  /**
   * Stop (and close the client's side) once this many complete responses have arrived; left out,
   * read until the server ends the connection or the deadline passes.
   */
  responses?: number;
  /** Give up after this many milliseconds from connect. */
  timeoutMs?: number;
  /** Called with each complete response as it arrives. */
  onResponse?: (response: RawResponse) => void;
}

/**
 * Opens a connection to 127.0.0.1:`port`, writes `pieces` in order (pausing where told, stopping if
 * the connection ends), and reads responses until the server ends the connection, `responses` have
 * arrived, or `timeoutMs` passes. Never rejects: a failure to connect is an `error`.
 *
 * @example
 * ```ts
 * const { responses, end } = await exchange(port, ["GET / HTTP/1.1\r\nHost: x\r\n\r\n"], { responses: 1 });
 * ```
 */
export function exchange(port: number, pieces: Piece[], options: ExchangeOptions = {}): Promise<RawExchange> {
  const { responses: wanted, timeoutMs = 10_000, onResponse } = options;
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const started = Date.now();
    const chunks: Buffer[] = [];
    const parser = new ResponseParser();
    const responses: RawResponse[] = [];
    let done = false;
    let unsent = 0;
    let error: string | undefined;
    let pause: ReturnType<typeof setTimeout> | undefined;

    const finish = (end: ConnectionEnd) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearTimeout(pause);
      // A body delimited by the end of the connection is complete only now.
      if (end === "closed") take(parser.end(Date.now() - started));
      resolve({
        responses,
        end,
        endMs: Date.now() - started,
        rest: parser.rest(),
        raw: Buffer.concat(chunks),
        unsent,
        ...(error === undefined ? {} : { error }),
      });
      socket.destroy();
    };
    const take = (parsed: RawResponse[]) => {
      for (const response of parsed) {
        responses.push(response);
        onResponse?.(response);
      }
    };
    const deadline = setTimeout(() => finish("open"), timeoutMs);

    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      take(parser.push(chunk, Date.now() - started));
      if (wanted !== undefined && responses.length >= wanted) finish("open");
    });
    socket.on("end", () => finish("closed"));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      error = err.code ?? err.message;
      // EPIPE: the server had closed while a piece was on its way; it ended the connection.
      finish(err.code === "EPIPE" ? "closed" : "reset");
    });
    socket.on("close", () => finish("closed"));

    const write = (index: number) => {
      if (done || index >= pieces.length) return;
      if (socket.destroyed || socket.writableEnded) {
        unsent += pieces.length - index;
        return;
      }
      const piece = pieces[index]!;
      if (typeof piece === "object" && "pauseMs" in piece) {
        pause = setTimeout(() => write(index + 1), piece.pauseMs);
        return;
      }
      if (typeof piece === "object" && "hangUp" in piece) {
        // Half-close: the server sees the end of the request, and the client still reads its answer.
        socket.end();
        return;
      }
      socket.write(piece, () => write(index + 1));
    };
    socket.once("connect", () => write(0));
  });
}

/** `text` one byte at a time, each byte after a pause of `pauseMs`: a slow client. */
export function dribble(text: string, pauseMs: number): Piece[] {
  return [...text].flatMap((byte): Piece[] => [{ pauseMs }, byte]);
}

/** The value of header `name` in `response` (lower-case name), or undefined; several are joined with ", ". */
export function field(response: RawResponse, name: string): string | undefined {
  const values = response.fields.filter(([key]) => key === name).map(([, value]) => value);
  return values.length === 0 ? undefined : values.join(", ");
}

/** Reads HTTP/1.x responses incrementally from the bytes of one connection. */
class ResponseParser {
  #buffer: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns the responses they completed. */
  push(chunk: Buffer, atMs: number): RawResponse[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const out: RawResponse[] = [];
    for (;;) {
      const parsed = this.#parseOne(atMs, false);
      if (!parsed) return out;
      out.push(parsed);
    }
  }

  /** The connection ended: a response whose body runs to the end is complete now. */
  end(atMs: number): RawResponse[] {
    const parsed = this.#parseOne(atMs, true);
    return parsed ? [parsed] : [];
  }

  rest(): Buffer {
    return this.#buffer;
  }

  #parseOne(atMs: number, ended: boolean): RawResponse | undefined {
    const buffer = this.#buffer;
    const headEnd = buffer.indexOf("\r\n\r\n");
    if (headEnd < 0) return undefined;
    const lines = buffer.subarray(0, headEnd).toString("latin1").split("\r\n");
    const match = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]!);
    if (!match) return undefined; // not HTTP: left in `rest`
    const fields = lines.slice(1).map((line): [string, string] => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    });
    const status = Number(match[2]);
    const head = { version: match[1]!, status, reason: match[3] ?? "", fields };
    let offset = headEnd + 4;
    const valueOf = (name: string) => fields.find(([key]) => key === name)?.[1];
    const transferEncoding = valueOf("transfer-encoding");
    const contentLength = valueOf("content-length");
    let body: Buffer;
    if (status < 200 || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (transferEncoding !== undefined && /chunked/i.test(transferEncoding)) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = buffer.indexOf("\r\n", offset);
        if (lineEnd < 0) return undefined;
        const size = parseInt(buffer.subarray(offset, lineEnd).toString("latin1"), 16);
        if (Number.isNaN(size)) return undefined;
        if (size === 0) {
          const end = endOfTrailers(buffer, lineEnd + 2);
          if (end === undefined) return undefined;
          offset = end;
          break;
        }
        if (buffer.length < lineEnd + 2 + size + 2) return undefined;
        parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        offset = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts);
    } else if (contentLength !== undefined) {
      const length = Number(contentLength);
      if (buffer.length < offset + length) return undefined;
      body = buffer.subarray(offset, offset + length);
      offset += length;
    } else {
      if (!ended) return undefined;
      body = buffer.subarray(offset);
      offset = buffer.length;
    }
    this.#buffer = buffer.subarray(offset);
    return { ...head, body: Buffer.from(body), atMs };
  }
}

/** Where the trailer section that starts at `from` (after the last chunk's size line) ends, if it has. */
function endOfTrailers(buffer: Buffer, from: number): number | undefined {
  for (let cursor = from; ;) {
    const next = buffer.indexOf("\r\n", cursor);
    if (next < 0) return undefined;
    if (next === cursor) return cursor + 2;
    cursor = next + 2;
  }
}
