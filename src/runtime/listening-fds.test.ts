import { afterEach, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:net";
import { fstatSync } from "node:fs";
import { findListeningFd, parseListening, type ProcReader } from "./listening-fds.ts";

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5001 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5002 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F40 0100007F:A2C4 01 00000000:00000000 00:00000000 00000000     0        0 5003 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F40 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6001 1 0000000000000000 100 0 0 10 0
`;

function proc(links: Record<number, string>): ProcReader {
  return {
    fds: () => Object.keys(links).map(Number),
    link: (fd) => links[fd]!,
    table: (name) => (name === "tcp" ? TCP : TCP6),
  };
}

describe("parseListening", () => {
  it("reads listening entries only, IPv4 and IPv6, in /proc's little-endian words", () => {
    expect(parseListening(TCP, 4)).toEqual([
      { ip: "127.0.0.1", port: 8000, inode: 5001 },
      { ip: "0.0.0.0", port: 8001, inode: 5002 },
    ]);
    expect(parseListening(TCP6, 6)).toEqual([{ ip: "0:0:0:0:0:0:0:1", port: 8000, inode: 6001 }]);
  });
});

describe("findListeningFd", () => {
  const links = { 3: "socket:[5003]", 7: "socket:[5001]", 9: "socket:[6001]", 11: "pipe:[77]", 12: "socket:[5002]" };

  it("finds this process's listening socket for an address, by IP and port", () => {
    expect(findListeningFd({ host: "127.0.0.1", port: 8000 }, proc(links))).toBe(7);
    expect(findListeningFd({ host: "::1", port: 8000 }, proc(links))).toBe(9);
    expect(findListeningFd({ host: "0.0.0.0", port: 8001 }, proc(links))).toBe(12);
    expect(findListeningFd({ host: "localhost", port: 8001 }, proc(links))).toBe(12);
  });

  it("finds nothing for another process's socket, another port, or without /proc", () => {
    expect(findListeningFd({ host: "127.0.0.1", port: 8000 }, proc({ 3: "socket:[5003]" }))).toBeUndefined();
    expect(findListeningFd({ host: "127.0.0.1", port: 9000 }, proc(links))).toBeUndefined();
    const broken: ProcReader = { ...proc(links), table: () => { throw new Error("ENOENT"); } };
    expect(findListeningFd({ host: "127.0.0.1", port: 8000 }, broken)).toBeUndefined();
  });

  describe("in this process", () => {
    let server: Server | undefined;
    afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

    it.runIf(process.platform === "linux")("finds the descriptor of a real listening socket", async () => {
      server = createServer();
      await new Promise<void>((resolve) => server!.listen({ host: "127.0.0.1", port: 0 }, resolve));
      const port = (server.address() as { port: number }).port;
      const fd = findListeningFd({ host: "127.0.0.1", port });
      expect(fd).toBeGreaterThan(2);
      expect(fstatSync(fd!).isSocket()).toBe(true);
      expect(findListeningFd({ host: "127.0.0.2", port })).toBeUndefined();
    });
  });
});
