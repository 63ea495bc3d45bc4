/** Field names whose values are never logged, at any depth. */
export const SENSITIVE_KEY =
  /pass(word|wd|phrase)?|secret|token|api[-_]?key|^key$|keys$|authorization|cookie|pepper|private|credential|ssn|signature/i;

export const REDACTED = '[REDACTED]';

/** Returns a copy with sensitive keys censored (bounded depth, cycles cut). */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (seen.has(value) || depth > 8) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SENSITIVE_KEY.test(k) ? REDACTED : redactDeep(v, depth + 1, seen);
  }
  return out;
}

/** API keys and long opaque tokens in a path (pasted into the wrong place) are masked; long paths are cut. */
function safePath(path: string): string {
  // Most paths are short and hold no key: nothing to mask then (the access log masks every request's path).
  if (path.length < 40 && !path.includes('sk_')) return path;
  const masked = path
    .replace(/sk_(live|test)_[A-Za-z0-9_]+/g, `sk_$1_${REDACTED}`)
    .replace(/[A-Za-z0-9_-]{40,}/g, REDACTED);
  return masked.length > 300 ? `${masked.slice(0, 300)}…` : masked;
}

/** The path of a URL with query values dropped (names kept), so a credential sent in a query never reaches logs. */
export function safeUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return safePath(url);
  const names = url
    .slice(q + 1)
    .split('&')
    .map((pair) => pair.split('=')[0])
    .filter(Boolean)
    .map((n) => n.replace(/[^\w.[\]-]/g, '').slice(0, 40));
  return `${safePath(url.slice(0, q))}?${names
    .slice(0, 20)
    .map((n) => `${n}=${REDACTED}`)
    .join('&')}`;
}
