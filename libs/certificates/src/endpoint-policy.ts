import { Injectable } from '@nestjs/common';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP, isIPv4, isIPv6 } from 'node:net';
import { AppConfig, blockListOf, ipMatches, splitList } from '@app/core';
import { isHostname } from './hostname';

/** DNS behind a class, so tests can answer with addresses of their own (rebinding cases). */
export abstract class HostResolver {
  abstract resolve(host: string): Promise<string[]>;
}

@Injectable()
export class DnsHostResolver extends HostResolver {
  async resolve(host: string): Promise<string[]> {
    if (isIP(host)) return [host];
    const answers = await lookup(host, { all: true, verbatim: true });
    return answers.map((a) => a.address);
  }
}

export class EndpointRefused extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('DNS timeout')), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

type AddressClass = 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved' | 'public';

const RANGES: [AddressClass, string[]][] = [
  ['unspecified', ['0.0.0.0/8', '::/128']],
  ['loopback', ['127.0.0.0/8', '::1/128']],
  ['private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7']],
  ['link-local', ['169.254.0.0/16', 'fe80::/10']],
  ['multicast', ['224.0.0.0/4', 'ff00::/8']],
  // Reserved, benchmarking, and translation prefixes that can reach private networks (NAT64, 6to4, Teredo).
  [
    'reserved',
    [
      '240.0.0.0/4',
      '192.0.0.0/24',
      '198.18.0.0/15',
      '64:ff9b::/96',
      '64:ff9b:1::/48',
      '2002::/16',
      '2001::/32',
      '100::/64',
    ],
  ],
];
const CLASSES = RANGES.map(([name, cidrs]) => [name, blockListOf(cidrs)] as const);

/** The 16 bytes of an IPv6 address (dotted IPv4 tail included), or null for anything else. */
function ipv6Bytes(ip: string): number[] | null {
  if (!isIPv6(ip)) return null;
  let text = ip.toLowerCase().split('%')[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = text.slice(0, -dotted[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

/**
 * The IPv4 address an IPv6 form stands for, where the IPv6 address reaches exactly that IPv4 host: IPv4-mapped
 * (`::ffff:0:0/96`), IPv4-compatible (`::/96`, deprecated; `::` and `::1` keep their own meaning), IPv4-translated
 * (`::ffff:0:0:0/96`, SIIT) and the NAT64 well-known prefix (`64:ff9b::/96`, RFC 6052). 6to4 (`2002::/16`), Teredo
 * (`2001::/32`) and local-use NAT64 (`64:ff9b:1::/48`) go through relays the operator does not run: they stay
 * `reserved` and only a CIDR entry opens them.
 */
export function embeddedIPv4(ip: string): string | null {
  const b = ipv6Bytes(ip);
  if (!b) return null;
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const mapped = zero(0, 10) && b[10] === 0xff && b[11] === 0xff;
  const compatible = zero(0, 12) && !(zero(12, 15) && b[15] <= 1);
  const translated = zero(0, 8) && b[8] === 0xff && b[9] === 0xff && zero(10, 12);
  const nat64 = b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12);
  return mapped || compatible || translated || nat64 ? b.slice(12).join('.') : null;
}

/** An address's class; an IPv6 form that embeds an IPv4 address (see embeddedIPv4) is judged by that address. */
export function classifyAddress(ip: string): AddressClass {
  const target = embeddedIPv4(ip) ?? ip;
  for (const [name, list] of CLASSES) if (ipMatches(list, target)) return name;
  return 'public';
}

/** Classes that stay closed unless a CIDR entry names them: cloud metadata (169.254.169.254) and the like. */
const NEVER_BY_NAME = new Set<AddressClass>(['unspecified', 'link-local', 'multicast', 'reserved']);
const KEYWORDS = new Set(['loopback', 'private', 'public']);

export interface EndpointRules {
  names: string[];
  wildcards: string[];
  classes: Set<string>;
  cidrs: BlockList;
  hasCidrs: boolean;
}

export function parseEndpointRules(spec: string): EndpointRules {
  const rules: EndpointRules = {
    names: [],
    wildcards: [],
    classes: new Set(),
    cidrs: new BlockList(),
    hasCidrs: false,
  };
  const cidrs: string[] = [];
  for (const raw of splitList(spec)) {
    const entry = raw.toLowerCase();
    if (entry === 'none') continue;
    if (KEYWORDS.has(entry)) rules.classes.add(entry);
    else if (isIP(entry.split('/')[0])) cidrs.push(entry);
    else if (entry.startsWith('*.') && isHostname(entry.slice(2))) rules.wildcards.push(entry.slice(1));
    else if (isHostname(entry)) rules.names.push(entry.replace(/\.$/, ''));
    else
      throw new Error(
        `CERT_ENDPOINT_ALLOW: "${raw}" is not a hostname, *.wildcard, CIDR, loopback, private, public or none`,
      );
  }
  rules.cidrs = blockListOf(cidrs);
  rules.hasCidrs = cidrs.length > 0;
  return rules;
}

/**
 * Which endpoints may be probed. The host's name may be allowed by a name or wildcard entry; otherwise each address
 * DNS returns is judged by CIDR and class entries. The probe then connects to the address that was judged, never
 * resolving again, so a name cannot be re-pointed (DNS rebinding) between the check and the connection.
 */
@Injectable()
export class EndpointPolicy {
  readonly rules: EndpointRules;

  constructor(
    config: AppConfig,
    private readonly resolver: HostResolver,
  ) {
    const spec = config.env.CERT_ENDPOINT_ALLOW ?? (config.isProduction ? 'none' : 'loopback,public');
    this.rules = parseEndpointRules(spec);
  }

  private nameAllowed(host: string): boolean {
    const h = host.toLowerCase().replace(/\.$/, '');
    return this.rules.names.includes(h) || this.rules.wildcards.some((w) => h.endsWith(w) && h.length > w.length);
  }

  addressAllowed(ip: string, byName: boolean): boolean {
    const embedded = embeddedIPv4(ip);
    if (this.rules.hasCidrs && (ipMatches(this.rules.cidrs, ip) || (embedded && ipMatches(this.rules.cidrs, embedded))))
      return true;
    const cls = classifyAddress(ip);
    if (NEVER_BY_NAME.has(cls)) return false;
    return byName || this.rules.classes.has(cls);
  }

  /** The address to connect to, or EndpointRefused (the same message whether the name is refused or unknown). */
  async authorize(host: string): Promise<string> {
    const refused = new EndpointRefused(`${host} is not allowed by CERT_ENDPOINT_ALLOW or does not resolve`);
    const byName = !isIP(host) && this.nameAllowed(host);
    // Nothing but a name entry could allow it, and none does: refuse without asking DNS (a slow zone would hold a
    // thread of the libuv pool that Argon2 and file reads share).
    if (!byName && !this.rules.classes.size && !this.rules.hasCidrs) throw refused;
    let addresses: string[];
    try {
      addresses = await withTimeout(this.resolver.resolve(host), 3000);
    } catch {
      throw refused;
    }
    const allowed = addresses.filter((a) => this.addressAllowed(a, byName));
    // Every address must pass: a name that also resolves somewhere forbidden is refused as a whole.
    if (!addresses.length || allowed.length !== addresses.length) throw refused;
    return allowed.find((a) => isIPv4(a)) ?? allowed[0];
  }
}
