import { BlockList, isIP } from 'node:net';

/**
 * Reverse proxies whose X-Forwarded-For Tributary believes, for the login rate limit's client address.
 * Trust is explicit: without a list (the default) the header is ignored and the socket's peer is the client,
 * since anyone can send the header. With one, and only when the peer is on it, the client is the rightmost
 * address in X-Forwarded-For that is not itself a trusted proxy: each trusted proxy appends the address it
 * was reached from, so what lies left of the first untrusted hop was written by the client and proves nothing.
 */
export interface TrustedProxies {
  /** The list as given, for logs and messages. */
  readonly entries: readonly string[];
  has(address: string): boolean;
}

/** `::ffff:203.0.113.5` (an IPv4 peer on a dual-stack socket) → `203.0.113.5`; other addresses unchanged. */
export function normaliseAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? (mapped[1] as string) : address;
}

/** Addresses and CIDR ranges, comma- or space-separated: `10.0.0.0/8, 192.0.2.7, fd00::/8`. Throws on anything else. */
export function parseTrustedProxies(list: string | readonly string[]): TrustedProxies {
  const entries = [list]
    .flat()
    .flatMap((item) => item.split(/[\s,]+/))
    .filter(Boolean);
  const blocks = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) throw new Error(`trusted proxies: ${JSON.stringify(entry)} is not an IP address or a CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) {
      blocks.addAddress(address, type);
      continue;
    }
    const bits = Number(prefix);
    if (!/^\d+$/.test(prefix) || bits > (family === 4 ? 32 : 128)) throw new Error(`trusted proxies: ${JSON.stringify(entry)} has a bad prefix length`);
    blocks.addSubnet(address, bits, type);
  }
  return {
    entries,
    has(candidate) {
      const address = normaliseAddress(candidate);
      const family = isIP(address);
      return family !== 0 && blocks.check(address, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/**
 * The client behind `peer`: `peer` itself unless it is a trusted proxy; then, walking X-Forwarded-For from the
 * right, the first hop that is not a trusted proxy. A hop that is not an address ends the walk at the last
 * trusted one (a trusted proxy never writes such a hop, so it came from the client); a chain of trusted proxies
 * only gives its leftmost.
 */
export function forwardedClient(peer: string, forwardedFor: string | undefined, trusted: TrustedProxies | undefined): string {
  let client = normaliseAddress(peer);
  if (!trusted?.has(client) || !forwardedFor) return client;
  const hops = forwardedFor
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normaliseAddress(hops[i] as string);
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!trusted.has(hop)) return hop;
  }
  return client;
}
