import { isIPv4, isIPv6 } from 'node:net';

/**
 * The network a client address belongs to, as failed logins are counted: the /24 of an IPv4 address, the /64 of an
 * IPv6 one (an IPv4-mapped IPv6 address, `::ffff:a.b.c.d`, is judged as the IPv4 address it carries). One person's
 * addresses change within these (DHCP, IPv6 privacy addresses), so a network is one source; rotating addresses
 * inside it gains an attacker nothing. Anything that is not an address (no trusted client address) is `unknown`.
 */
export function networkOf(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const v4 = mappedIPv4(ip);
  if (v4) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  if (!isIPv6(ip)) return 'unknown';
  const groups = expandIPv6(ip);
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The IPv4 address in `ip`: itself, or the one carried by an IPv4-mapped IPv6 address (any spelling). */
function mappedIPv4(ip: string): string | undefined {
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return undefined;
  const g = expandIPv6(ip);
  if (g.slice(0, 5).every((x) => x === '0') && g[5] === 'ffff') {
    const hi = parseInt(g[6], 16);
    const lo = parseInt(g[7], 16);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return undefined;
}

/** The eight groups of a valid IPv6 address, lower-case hex without leading zeros (a zone id is dropped). */
function expandIPv6(ip: string): string[] {
  let addr = ip.split('%')[0].toLowerCase();
  // A trailing dotted IPv4 part (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) becomes two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(addr);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    addr = addr.slice(0, -dotted[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => parseInt(g || '0', 16).toString(16));
}

/** Where failed logins are counted for an account: its device (a valid device token) or its network. */
export type LockoutSource = { kind: 'device'; deviceId: string } | { kind: 'network'; network: string };

/** The key of a source in `login_attempts.source`. */
export function sourceKey(source: LockoutSource): string {
  return source.kind === 'device' ? `device:${source.deviceId}` : `net:${source.network}`;
}
