import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** A `node:net` BlockList from addresses and CIDRs (IPv4 and IPv6). */
export function blockListOf(cidrs: string[]): BlockList {
  const list = new BlockList();
  for (const entry of cidrs) {
    const [addr, bits] = entry.split('/');
    const type = isIPv6(addr) ? 'ipv6' : 'ipv4';
    if (!isIPv4(addr) && !isIPv6(addr)) throw new Error(`Not an IP address or CIDR: ${entry}`);
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  return list;
}

/** Matches an address (IPv4-mapped IPv6 included) against the list. */
export function ipMatches(list: BlockList, ip: string): boolean {
  const mapped = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  return isIPv6(mapped) ? list.check(mapped, 'ipv6') : isIPv4(mapped) && list.check(mapped, 'ipv4');
}
