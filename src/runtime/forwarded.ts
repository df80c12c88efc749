/**
 * Proxy trust: which peers' `X-Forwarded-For`, `X-Forwarded-Proto` and `Forwarded` headers are
 * believed (Gunicorn's `forwarded_allow_ips`), and the client and scheme they name.
 *
 * @module
 */

/** Tells whether a peer address is trusted to forward. */
export type AddressMatcher = (address: string) => boolean;

/** A parsed address: 16 bytes, IPv4 as IPv4-mapped IPv6 (`::ffff:a.b.c.d`). */
type Bytes = Uint8Array;

/** How many peer verdicts to remember: peers repeat (a proxy, a few load balancers). */
const VERDICT_CACHE_SIZE = 256;

/**
 * Compiles a list of addresses, CIDR ranges (`10.0.0.0/8`, `fd00::/8`) and `*` into a matcher. An IPv4
 * pattern matches the same address written IPv4-mapped (`::ffff:127.0.0.1`, as Node reports peers on a
 * dual-stack socket). Entries that are not addresses are ignored (the config has refused them already).
 *
 * @example
 * ```ts
 * const trusted = compileAddressMatcher(["127.0.0.1", "10.0.0.0/8"]);
 * trusted("10.1.2.3"); // true
 * ```
 */
export function compileAddressMatcher(patterns: readonly string[]): AddressMatcher {
  if (patterns.includes("*")) return () => true;
  const ranges: { bytes: Bytes; bits: number }[] = [];
  for (const pattern of patterns) {
    const [text, prefix] = pattern.split("/");
    const bytes = parseAddress(text!);
    if (!bytes) continue;
    const v4 = !text!.includes(":");
    const bits = prefix === undefined ? 128 : Number(prefix) + (v4 ? 96 : 0);
    if (!Number.isInteger(bits) || bits < 0 || bits > 128) continue;
    ranges.push({ bytes, bits });
  }
  if (ranges.length === 0) return () => false;
  const verdicts = new Map<string, boolean>();
  return (address) => {
    let verdict = verdicts.get(address);
    if (verdict === undefined) {
      const bytes = parseAddress(address);
      verdict = bytes !== undefined && ranges.some((range) => inRange(bytes, range.bytes, range.bits));
      if (verdicts.size >= VERDICT_CACHE_SIZE) verdicts.clear();
      verdicts.set(address, verdict);
    }
    return verdict;
  };
}

/** The forwarded headers of one request, `null` where absent. */
export interface ForwardedHeaders {
  forwardedFor: string | null;
  forwardedProto: string | null;
  forwarded: string | null;
}

/** The client a request came from, as the trusted proxies tell it. */
export interface ForwardedClient {
  address: string;
  scheme?: "http" | "https";
}

/**
 * The client of a request from a trusted peer: walking the hops from the nearest (the peer) outwards,
 * the first address that is not itself a trusted proxy, or the farthest one if all are. So a client
 * cannot pass for another by sending its own `X-Forwarded-For`: a proxy appends the address it saw,
 * and that one is read first. The scheme is the nearest proxy's word (the last value).
 *
 * `X-Forwarded-For` and `X-Forwarded-Proto` are read first, as nginx and most proxies set them;
 * `Forwarded` (RFC 7239) only when neither is there, since a proxy that sets the former usually passes
 * the latter on untouched, as the client wrote it.
 */
export function resolveForwarded(headers: ForwardedHeaders, peer: string, trusted: AddressMatcher): ForwardedClient {
  let hops: string[] = [];
  let protos: string[] = [];
  if (headers.forwardedFor !== null || headers.forwardedProto !== null) {
    hops = splitList(headers.forwardedFor);
    protos = splitList(headers.forwardedProto);
  } else if (headers.forwarded !== null) {
    for (const element of parseForwarded(headers.forwarded)) {
      if (element.for !== undefined) hops.push(element.for);
      if (element.proto !== undefined) protos.push(element.proto);
    }
  }
  let address = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeHop(hops[i]!);
    // Not an address (`unknown`, an obfuscated name, garbage): the hop to its right is the last we can vouch for.
    if (hop === undefined || parseAddress(hop) === undefined) break;
    address = hop;
    if (!trusted(hop)) break;
  }
  const proto = protos.at(-1)?.toLowerCase();
  return proto === "https" || proto === "http" ? { address, scheme: proto } : { address };
}

function splitList(value: string | null): string[] {
  if (value === null) return [];
  return value.split(",").map((part) => part.trim()).filter((part) => part !== "");
}

/** `for` and `proto` of each element of a `Forwarded` header (RFC 7239 section 4). */
export function parseForwarded(value: string): { for?: string; proto?: string }[] {
  const elements: { for?: string; proto?: string }[] = [];
  // Pairs are `token=token` or `token="quoted string"`; a quoted string may hold `,` and `;`.
  const pair = /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*)\s*([;,]|$)/y;
  let element: { for?: string; proto?: string } = {};
  let index = 0;
  while (index < value.length) {
    pair.lastIndex = index;
    const match = pair.exec(value);
    if (!match) break;
    const name = match[1]!.toLowerCase();
    let text = match[2]!;
    if (text.startsWith('"')) text = text.slice(1, -1).replace(/\\(.)/g, "$1");
    if (name === "for") element.for ??= text;
    else if (name === "proto") element.proto ??= text;
    index = pair.lastIndex;
    if (match[3] !== ";") {
      elements.push(element);
      element = {};
      if (match[3] === "") break;
    }
  }
  return elements;
}

/** A hop as an address: without brackets or a port (`[::1]:80`, `1.2.3.4:80`); undefined if it is a name. */
function normalizeHop(hop: string): string | undefined {
  if (hop.startsWith("[")) {
    const end = hop.indexOf("]");
    return end > 0 ? hop.slice(1, end) : undefined;
  }
  const colon = hop.indexOf(":");
  // One colon is IPv4 with a port; more is an IPv6 address without brackets.
  if (colon >= 0 && hop.indexOf(":", colon + 1) < 0) return hop.slice(0, colon);
  return hop;
}

/** Parses an IPv4 or IPv6 address into 16 bytes; undefined if it is neither. */
export function parseAddress(text: string): Bytes | undefined {
  if (!text.includes(":")) {
    const v4 = parseIPv4(text);
    if (!v4) return undefined;
    const bytes = new Uint8Array(16);
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    bytes.set(v4, 12);
    return bytes;
  }
  return parseIPv6(text.includes("%") ? text.slice(0, text.indexOf("%")) : text);
}

function parseIPv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    bytes.push(Number(part));
  }
  return bytes;
}

function parseIPv6(text: string): Bytes | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (i === parts.length - 1 && part.includes(".")) {
        const v4 = parseIPv4(part);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        out.push(parseInt(part, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

function inRange(address: Bytes, network: Bytes, bits: number): boolean {
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== network[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[whole]! & mask) === (network[whole]! & mask);
}
