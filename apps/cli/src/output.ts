/** How commands print: a human table or line by default, one JSON document with `--json` (for scripts). */

/** Left-aligned columns separated by two spaces; cells cut at `maxWidth` characters. */
export function table(header: string[], rows: string[][], maxWidth = 60): string {
  const cut = (c: string) => (c.length > maxWidth ? `${c.slice(0, maxWidth - 1)}…` : c);
  const cells = [header, ...rows].map((r) => r.map((c) => cut(c ?? '')));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `checked=12 alerts=1`, or `-` when empty. */
export function counts(c: Record<string, number> | undefined): string {
  const entries = Object.entries(c ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(' ') : '-';
}

export function print(json: boolean | undefined, data: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${human()}\n`);
}

/** `[##########....................] 12/36`. */
export function progressBar(done: number, total: number, width = 30): string {
  const filled = total ? Math.round((Math.min(done, total) / total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}
