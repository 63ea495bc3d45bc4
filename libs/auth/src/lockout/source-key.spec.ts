import { networkOf, sourceKey } from './source-key';

describe('networkOf (the source network of a client address)', () => {
  it('takes the /24 of an IPv4 address', () => {
    expect(networkOf('198.51.100.7')).toBe('198.51.100.0/24');
    expect(networkOf('198.51.100.254')).toBe('198.51.100.0/24');
    expect(networkOf('198.51.101.7')).toBe('198.51.101.0/24');
    expect(networkOf('10.0.0.1')).not.toBe(networkOf('10.0.1.1'));
  });

  it('takes the /64 of an IPv6 address, whatever its spelling', () => {
    expect(networkOf('2001:db8:abcd:12::1')).toBe('2001:db8:abcd:12::/64');
    expect(networkOf('2001:0DB8:ABCD:0012:ffff:ffff:ffff:fffe')).toBe('2001:db8:abcd:12::/64');
    expect(networkOf('2001:db8:abcd:13::1')).toBe('2001:db8:abcd:13::/64');
    expect(networkOf('::1')).toBe('0:0:0:0::/64');
    expect(networkOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(networkOf('2001:db8::')).toBe('2001:db8:0:0::/64');
  });

  it('judges an IPv4-mapped IPv6 address as the IPv4 address it carries', () => {
    expect(networkOf('::ffff:198.51.100.7')).toBe('198.51.100.0/24');
    expect(networkOf('::FFFF:198.51.100.200')).toBe('198.51.100.0/24');
    expect(networkOf('::ffff:c633:6407')).toBe('198.51.100.0/24');
    expect(networkOf('0:0:0:0:0:ffff:198.51.100.9')).toBe('198.51.100.0/24');
    // Not mapped: NAT64 and IPv4-compatible prefixes are IPv6 networks of their own.
    expect(networkOf('64:ff9b::198.51.100.7')).toBe('64:ff9b:0:0::/64');
  });

  it('answers `unknown` for anything that is not an address', () => {
    expect(networkOf(undefined)).toBe('unknown');
    expect(networkOf('')).toBe('unknown');
    expect(networkOf("1.2.3.4'; DROP TABLE users;--")).toBe('unknown');
    expect(networkOf('999.1.1.1')).toBe('unknown');
  });

  it('keys a device by its id and a network by its prefix', () => {
    expect(sourceKey({ kind: 'device', deviceId: 'abc' })).toBe('device:abc');
    expect(sourceKey({ kind: 'network', network: networkOf('192.0.2.9') })).toBe('net:192.0.2.0/24');
  });
});
