/**
 * `npm run build`, after tsc: copies the files under src/ that tsc does not
 * emit but the server loads at run time (the PGlite worker, .mjs/.json/.sql…)
 * to the same place under dist/ (or the folder given as the first argument),
 * so `node dist/main.js` finds them.
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src');
const dist = path.resolve(root, process.argv[2] ?? 'dist');

for (const entry of fs.readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
  const from = path.join(entry.parentPath, entry.name);
  const to = path.join(dist, path.relative(src, from));
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}
