import { isIP } from 'node:net';

/** A DNS name: 1–63-character labels of letters, digits and inner hyphens, dot-separated, 253 at most (a final dot allowed). */
export function isHostname(value: string): boolean {
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  if (!name || name.length > 253) return false;
  return name
    .split('.')
    .every(
      (label) =>
        label.length >= 1 &&
        label.length <= 63 &&
        /^[A-Za-z0-9-]+$/.test(label) &&
        !label.startsWith('-') &&
        !label.endsWith('-'),
    );
}

export function isHostOrIp(value: string): boolean {
  return isIP(value) !== 0 || isHostname(value);
}
