/**
 * `npm run bench:startup`: how `npm start` starts, as a newcomer runs it.
 *
 * Time to healthy (from spawning `npm start` to the first 200 from
 * `GET /health`) on a fresh DATA_DIR (the embedded PostgreSQL's initdb
 * included), then on the same, now warm, DATA_DIR; and idle memory of the
 * server's tree (the server and its PostgreSQL, not npm and its shell)
 * 5 s after it is healthy: sum of VmRSS and of PSS. Beside it, in the same
 * run, the floor: `npm exec` of a bare node HTTP server that answers
 * /health (bench/health-server.js).
 *
 *   npm run bench:startup [-- --warm 5] [--root DIR]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { processTree, treeMemory } from './procs.js';

const { values } = parseArgs({ options: { warm: { type: 'string', default: '5' }, root: { type: 'string' } } });
const ROOT = path.resolve(values.root ?? path.join(import.meta.dirname, '..'));
const WARM = Number(values.warm);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

interface Start {
  healthyMs: number;
  rss: number;
  pss: number;
  processes: number;
}

/** The command's own wrappers (npm and the shell it runs scripts in) are not the server. */
function isWrapper(pid: number): boolean {
  try {
    const comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    return comm === 'sh' || comm.startsWith('npm');
  } catch {
    return true;
  }
}

async function startOnce(command: string[], env: NodeJS.ProcessEnv, port: number): Promise<Start> {
  const started = performance.now();
  const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  try {
    let healthyMs: number | undefined;
    while (healthyMs === undefined) {
      if (child.exitCode !== null) throw new Error(`${command.join(' ')} exited:\n${output}`);
      if (performance.now() - started > 60_000) throw new Error(`${command.join(' ')} was not healthy in 60 s:\n${output}`);
      const status = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 0);
      if (status === 200) healthyMs = performance.now() - started;
      else await sleep(10);
    }
    await sleep(5_000);
    // The tree is listed parents first: the first process that is not a wrapper is the server.
    const server = processTree([child.pid!]).find((pid) => !isWrapper(pid));
    if (server === undefined) throw new Error(`no server process under ${command.join(' ')}`);
    const memory = treeMemory([server]);
    return { healthyMs, rss: memory.rss, pss: memory.pss, processes: memory.processes };
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    await sleep(300);
  }
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const line = (label: string, s: Start) =>
  `${label.padEnd(14)} healthy in ${(s.healthyMs / 1000).toFixed(2)} s; idle ${s.processes} processes, RSS ${mib(s.rss)} MiB, PSS ${mib(s.pss)} MiB`;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-run-startup-'));
const port = 20_000 + Math.floor(Math.random() * 20_000);
const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
try {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'main.js'))) throw new Error(`no ${ROOT}/dist/main.js: run npm run build`);
  const floor: Start[] = [];
  const warm: Start[] = [];
  const fresh = await startOnce(['npm', 'start'], env, port);
  console.log(line('fresh', fresh));
  for (let i = 0; i < WARM; i++) {
    floor.push(await startOnce(['npm', 'exec', '--offline', '--', 'node', path.join(import.meta.dirname, 'health-server.js')], env, port));
    console.log(line('  floor', floor.at(-1)!));
    warm.push(await startOnce(['npm', 'start'], env, port));
    console.log(line(`warm ${i + 1}`, warm.at(-1)!));
  }
  const f = median(floor.map((s) => s.healthyMs));
  const w = median(warm.map((s) => s.healthyMs));
  console.log(
    `\nmedian of ${WARM}: warm ${(w / 1000).toFixed(2)} s (target <= 1.5 s), floor ${(f / 1000).toFixed(2)} s, warm - floor ${((w - f) / 1000).toFixed(2)} s; ` +
      `fresh ${(fresh.healthyMs / 1000).toFixed(2)} s (target <= 4 s); ` +
      `idle RSS ${mib(median(warm.map((s) => s.rss)))} MiB (target <= 200), PSS ${mib(median(warm.map((s) => s.pss)))} MiB`,
  );
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
