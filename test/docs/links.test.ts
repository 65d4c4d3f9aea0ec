// The repository documents itself: every relative link in the user-facing Markdown resolves to a
// file of the repository (and a `#anchor` to a heading of that file), nothing points outside the
// repository root or to documents a clone does not have, and the README stays a guide (at most
// 20,000 bytes). Pure fs, no sockets.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const README_MAX_BYTES = 20_000;

/** Text that names something a clone cannot see. Built from parts so this file does not match itself. */
const INVISIBLE: readonly { readonly pattern: RegExp; readonly what: string }[] = [
  { pattern: new RegExp(['\\.\\.', 'shared'].join('/')), what: 'a folder outside the repository' },
  { pattern: new RegExp(['DESIGN', 'md'].join('\\.')), what: 'a design document that is not in the repository' },
  { pattern: new RegExp(['closing', 'notes'].join(' '), 'i'), what: 'notes that are not in the repository' },
  { pattern: new RegExp(['\\bissues?', '#?\\d+\\b'].join(' '), 'i'), what: 'an issue number' },
];

/** The Markdown a user reads: README.md, docs/, examples/, fixtures/ and native-free-dsp/README.md. */
function markdownFiles(): string[] {
  const files = ['README.md', 'native-free-dsp/README.md'].filter((f) => existsSync(join(ROOT, f)));
  for (const dir of ['docs', 'examples', 'fixtures']) files.push(...walk(dir, (f) => f.endsWith('.md')));
  return files;
}

/** Repository-relative paths of the files under dir that pass keep (no node_modules, dist, .git). */
function walk(dir: string, keep: (file: string) => boolean): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...walk(path, keep));
    else if (keep(path)) out.push(path);
  }
  return out;
}

/** The Markdown without fenced code blocks and inline code spans (links there are examples, not links). */
function proseOf(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/(`+)[^`]*?\1/g, '');
}

/** Link targets: inline `[text](target "title")`, images, and reference definitions `[id]: target`. */
function linkTargets(markdown: string): string[] {
  const prose = proseOf(markdown);
  const targets: string[] = [];
  for (const m of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]);
  for (const m of prose.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) targets.push(m[1]);
  return targets;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const m of withoutFences.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = m[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

type LinkProblem = { readonly kind: 'outside' | 'missing' | 'anchor'; readonly detail: string };

/** What is wrong with one link target written in the file `from` (repository-relative), if anything. */
function checkLink(from: string, target: string, root = ROOT): LinkProblem | null {
  if (/^(https?:|mailto:)/i.test(target)) return null;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('/')) return { kind: 'outside', detail: `${target}: not a path inside the repository` };
  const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = pathPart === '' ? join(root, from) : resolve(root, dirname(from), decodeURIComponent(pathPart));
  const rel = relative(root, file);
  if (rel.startsWith('..') || rel.startsWith(sep) || resolve(root, rel) !== file) return { kind: 'outside', detail: `${target}: leaves the repository root` };
  const repoPath = rel.split(sep).join('/');
  if (!existsSync(file)) {
    return { kind: 'missing', detail: `${target}: no such file ${repoPath}` };
  }
  if (anchor !== undefined && anchor !== '' && statSync(file).isFile() && file.endsWith('.md')) {
    if (!headingAnchors(readFileSync(file, 'utf8')).has(anchor.toLowerCase())) return { kind: 'anchor', detail: `${target}: no heading #${anchor} in ${repoPath}` };
  }
  return null;
}

t.test('the checker itself: finds links, skips code, and reports what is wrong', async (t) => {
  const md = [
    '# Title',
    '## Clamp stage, joined (G.711)',
    '## Repeat',
    '## Repeat',
    'See [a](docs/a.md) and ![img](pic.png "t"), `[not](in-code.md)`.',
    '```',
    '[not](in-fence.md)',
    '```',
    '[ref]: ../x.md',
  ].join('\n');
  t.same(linkTargets(md), ['docs/a.md', 'pic.png', '../x.md']);
  t.ok(headingAnchors(md).has('clamp-stage-joined-g711'));
  t.ok(headingAnchors(md).has('repeat-1'));
  t.equal(checkLink('README.md', 'README.md'), null, 'an existing file');
  t.equal(checkLink('README.md', 'https://example.org/x'), null, 'a web address is not a repository link');
  t.equal(checkLink('README.md', 'no/such/file.md')?.kind, 'missing');
  t.equal(checkLink('docs/x.md', '../../elsewhere/x.md')?.kind, 'outside');
  t.equal(checkLink('README.md', '/etc/passwd')?.kind, 'outside');
  t.equal(checkLink('README.md', 'file:///usr/share/doc/x')?.kind, 'outside');
  t.equal(checkLink('README.md', 'README.md#no-such-heading-here')?.kind, 'anchor');
});

t.test('every relative link in the Markdown resolves inside the repository', async (t) => {
  const files = markdownFiles();
  t.ok(files.includes('README.md') && files.some((f) => f.startsWith('docs/')), 'README.md and docs/ are checked');
  for (const from of files) {
    for (const target of linkTargets(readFileSync(join(ROOT, from), 'utf8'))) {
      const problem = checkLink(from, target);
      t.equal(problem, null, `${from} -> ${target}${problem ? ` (${problem.detail})` : ''}`);
    }
  }
});

t.test('nothing in the repository points to things a clone cannot see', async (t) => {
  const self = relative(ROOT, fileURLToPath(import.meta.url))
    .split(sep)
    .join('/');
  const sources = [
    ...markdownFiles(),
    ...['src', 'test', 'bench', 'examples', 'scripts', 'native-free-dsp', 'fixtures'].flatMap((d) => walk(d, (f) => /\.(ts|mjs|js|sh|yaml|yml|md|service|cfg|list|c)$/.test(f))),
  ].filter((f, i, all) => f !== self && all.indexOf(f) === i);
  const found: string[] = [];
  for (const file of sources) {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const { pattern, what } of INVISIBLE) if (pattern.test(line)) found.push(`${file}:${i + 1}: ${what}: ${line.trim().slice(0, 120)}`);
    });
  }
  t.same(found, [], 'no reference to anything outside the repository');
});

t.test(`README.md is a user's guide of at most ${README_MAX_BYTES} bytes`, async (t) => {
  const size = statSync(join(ROOT, 'README.md')).size;
  t.ok(size <= README_MAX_BYTES, `README.md is ${size} bytes`);
});
