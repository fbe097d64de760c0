/**
 * `npm start` runs the JavaScript that `npm run build` (run by `npm ci`
 * through `prepare`) bundles from src/, not TypeScript loaded at run time.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
// At the depth of dist/, so paths the server resolves from its own folder (../web/dist) hold.
const outDir = path.join(root, `.dist-test-${process.pid}`);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-run-build-'));

afterAll(() => {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the build', () => {
  it('npm start runs compiled JavaScript from dist/, which npm ci builds', () => {
    expect(pkg.scripts.start).toBe('node dist/main.js');
    expect(pkg.scripts.start).not.toMatch(/tsx/);
    expect(pkg.scripts.prepare).toMatch(/npm run build(?!:)/);
    expect(pkg.scripts.prepare).toMatch(/npm run build:web/);
    expect(pkg.scripts.dev).toMatch(/watch/);
    expect(fs.readFileSync(path.join(root, '.gitignore'), 'utf8').split('\n')).toContain('dist/');
  });

  it('compiles a server that starts with plain node and answers /health', { timeout: 180_000 }, async () => {
    // The build script, with another output folder than dist/ (which a developer may be running).
    expect(pkg.scripts.build).toBe('tsx scripts/build.ts');
    const build = `tsx scripts/build.ts --outfile ${path.join(outDir, 'main.js')}`;
    const built = spawnSync(build, { cwd: root, shell: true, encoding: 'utf8', env: { ...process.env, PATH: `${root}/node_modules/.bin:${process.env.PATH}` } });
    expect(built.status, built.stdout + built.stderr).toBe(0);
    // One module (and its source map): the server does not load src/'s tree of files one by one.
    expect(fs.readdirSync(outDir).sort()).toEqual(['main.js', 'main.js.map']);

    const child = spawn(process.execPath, [path.join(outDir, 'main.js')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', LOG_LEVEL: 'warn', DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    try {
      await expect.poll(() => /GraphiQL at (http:\/\/\S+)/.exec(output)?.[1], { timeout: 120_000, interval: 100 }).toBeTruthy();
      const url = new URL(/GraphiQL at (http:\/\/\S+)/.exec(output)![1]!);
      const health = await fetch(new URL('/health', url));
      expect(health.status).toBe(200);
      // The embedded database (and any file tsc does not emit) was found next to the compiled code.
      const answer = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ viewer { id } }' }),
      });
      expect(((await answer.json()) as { data?: { viewer?: { id: string } } }).data?.viewer?.id).toBeTruthy();
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
