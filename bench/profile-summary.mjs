// Reads a V8 CPU profile (`node --cpu-prof`) and summarises where the busy time went: by package (a node_modules
// package, our code, Node's internals, GC) and the top functions by self time. Used by bench/run.mjs --profile;
// also runnable alone: node bench/profile-summary.mjs <file.cpuprofile>
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

function packageOf(url, name) {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node (internal)';
  if (url.includes('/dist/libs/') || url.includes('/dist/apps/')) return 'ours (dist/)';
  return url.split('/').slice(-2).join('/');
}

/** Markdown: busy time by package and the top `top` functions by self time (idle excluded from the shares). */
export function summarizeProfile(profile, top = 40) {
  const self = new Map();
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i++)
    dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  let idle = 0;
  let busy = 0;
  const byPackage = new Map();
  for (const node of profile.nodes) {
    const us = dt.get(node.id) ?? 0;
    if (!us) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    const key = `${name} ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + us);
    const pkg = packageOf(url, name);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const pct = (us) => ((100 * us) / busy).toFixed(1);
  const rows = (m, n) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `| ${k.replace(/\|/g, '\\|')} | ${(us / 1000).toFixed(0)} | ${pct(us)} |`);
  return [
    `Busy ${(busy / 1e6).toFixed(1)} s, idle ${(idle / 1e6).toFixed(1)} s. Shares are of busy time (self time).`,
    '',
    '## By package',
    '',
    '| package | ms | % |',
    '|---|---|---|',
    ...rows(byPackage, 25),
    '',
    `## Top ${top} functions by self time`,
    '',
    '| function | ms | % |',
    '|---|---|---|',
    ...rows(self, top),
    '',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(summarizeProfile(JSON.parse(readFileSync(process.argv[2], 'utf8'))));
}
