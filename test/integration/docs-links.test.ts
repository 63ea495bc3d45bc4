import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = join(__dirname, '..', '..');

/** README must stay a map: the detail lives in docs/. */
const README_MAX_BYTES = 16 * 1024;

function markdownUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return markdownUnder(path);
    return e.name.endsWith('.md') ? [path] : [];
  });
}

/** The documents whose links must resolve: README, every page under docs/, bench/ and docker/secrets/ notes. */
function documents(): string[] {
  return [
    join(root, 'README.md'),
    join(root, 'bench', 'README.md'),
    ...markdownUnder(join(root, 'docs')),
    join(root, 'docker', 'secrets', 'README.md'),
  ];
}

/** Markdown without fenced code blocks and inline code spans, where brackets are not links. */
function withoutCode(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/(`+)[^`\n]*?\1/g, '');
}

/** Targets of inline links and images `[text](target "title")` and of reference definitions `[id]: target`. */
function linkTargets(markdown: string): string[] {
  const text = withoutCode(markdown);
  const inline = [...text.matchAll(/\]\(<?([^)\s>]+)/g)].map((m) => m[1]);
  const references = [...text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]);
  return [...inline, ...references];
}

/** The anchors GitHub gives a document's headings: lower case, no punctuation, spaces to hyphens, -N on repeats. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const m of text.matchAll(/^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const slug = m[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Why a relative link from `from` does not resolve, or undefined when it does (external links are not followed). */
function brokenLink(from: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:, …
  const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
  const path = pathPart === '' ? from : join(pathPart.startsWith('/') ? root : dirname(from), decodeURI(pathPart));
  if (relative(root, path).startsWith('..')) return `${target}: outside the repository`;
  if (!existsSync(path)) return `${target}: no such file`;
  if (anchor && path.endsWith('.md') && statSync(path).isFile()) {
    if (!headingAnchors(readFileSync(path, 'utf8')).has(anchor.toLowerCase()))
      return `${target}: no heading #${anchor}`;
  }
  return undefined;
}

describe('documentation links', () => {
  it('checks README, bench/README.md, every page under docs/ and docker/secrets/README.md', () => {
    const docs = documents().map((f) => relative(root, f));
    expect(docs).toEqual(
      expect.arrayContaining(['README.md', 'bench/README.md', 'docs/security/asvs.md', 'docker/secrets/README.md']),
    );
    expect(docs.filter((f) => f.startsWith('docs/')).length).toBeGreaterThanOrEqual(12);
  });

  it('every relative link (and #anchor into a markdown page) resolves', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of documents()) {
      for (const target of linkTargets(readFileSync(file, 'utf8'))) {
        checked++;
        const why = brokenLink(file, target);
        if (why) broken.push(`${relative(root, file)}: ${why}`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  it('README.md stays a map of at most 16 KB', () => {
    const bytes = statSync(join(root, 'README.md')).size;
    expect(bytes).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it('the link checker itself finds a missing file, a missing anchor and a link that leaves the repository', () => {
    const readme = join(root, 'README.md');
    expect(brokenLink(readme, 'docs/auth.md')).toBeUndefined();
    expect(brokenLink(readme, 'docs/no-such-page.md')).toMatch(/no such file/);
    expect(brokenLink(readme, '#architecture-map')).toBeUndefined();
    expect(brokenLink(readme, '#no-such-heading')).toMatch(/no heading/);
    expect(brokenLink(readme, '../outside.md')).toMatch(/outside the repository/);
    expect(brokenLink(readme, 'https://example.com/x.md')).toBeUndefined();
    expect(linkTargets('a [x](a.md) `[y](b.md)` b\n```\n[z](c.md)\n```\n[id]: d.md\n')).toEqual(['a.md', 'd.md']);
    expect([...headingAnchors('# What `npm test` covers\n## A, b\n## A, b\n')]).toEqual([
      'what-npm-test-covers',
      'a-b',
      'a-b-1',
    ]);
  });
});

describe("README's table of directions between contexts", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require('../../.dependency-cruiser.cjs') as {
    forbidden: { name: string; to: { pathNot?: string[] } }[];
  };

  /** lib → the libs it may import, as the generated dependency-cruiser rules enforce them. */
  function enforced(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const rule of config.forbidden.filter((r) => r.name.startsWith('lib-direction-'))) {
      const lib = rule.name.slice('lib-direction-'.length);
      const allowed = (rule.to.pathNot ?? []).map((p) =>
        p
          .replace(/^\^libs\//, '')
          .replace(/\/$/, '')
          .replace(/\\/g, ''),
      );
      out[lib] = allowed.filter((l) => l !== lib).sort();
    }
    return out;
  }

  /** The same, as README's architecture map states it. */
  function documented(): Record<string, string[]> {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const table = /<!-- lib-directions -->\n([\s\S]*?)<!-- \/lib-directions -->/.exec(readme);
    if (!table) throw new Error('README lost its <!-- lib-directions --> table');
    const out: Record<string, string[]> = {};
    for (const row of table[1].split('\n').slice(2).filter(Boolean)) {
      const [lib, mayImport] = row
        .split('|')
        .slice(1, 3)
        .map((c) => c.trim());
      out[lib] = mayImport.startsWith('(')
        ? []
        : mayImport
            .split(',')
            .map((l) => l.trim())
            .sort();
    }
    return out;
  }

  it('lists exactly the directions dependency-cruiser enforces, for every lib there is', () => {
    const libs = readdirSync(join(root, 'libs')).sort();
    expect(Object.keys(enforced()).sort()).toEqual(libs);
    expect(documented()).toEqual(enforced());
  });
});
