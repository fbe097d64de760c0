/**
 * Child processes of the benchmark: each is spawned in its own process
 * group and killed with its whole group when the bench ends, however it
 * ends (normal exit, error, Ctrl-C). Also reads a process's CPU time and
 * resident memory from /proc.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface Child {
  name: string;
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<Child>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Kills every child group still alive, synchronously (safe in an 'exit' handler). */
export function killAll(): void {
  for (const c of children) killGroup(c.pid, 'SIGKILL');
  children.clear();
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Spawns `node <args>` in its own process group; resolves once its output
 * matches `ready` (returns the match), rejects if it exits or times out first.
 */
export function spawnNode(
  name: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  cwd: string,
  timeoutMs = 60_000,
): Promise<{ proc: Child; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: kill(-pid) takes any grandchildren too
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const proc: Child = { name, child, pid: child.pid!, output: () => output, exited };
  children.add(proc);
  void exited.then(() => children.delete(proc));
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      killGroup(proc.pid, 'SIGKILL');
      reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
      const match = ready.exec(output);
      if (match && !done) {
        done = true;
        clearTimeout(timer);
        resolve({ proc, match });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(({ code, signal }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

/** SIGTERM, then SIGKILL of the whole group if it has not exited within `graceMs`. */
export async function stopChild(proc: Child, graceMs = 10_000): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
    killGroup(proc.pid, 'SIGKILL');
    return;
  }
  try {
    process.kill(proc.pid, 'SIGTERM');
  } catch {
    // gone
  }
  let timer: NodeJS.Timeout | undefined;
  const killed = await Promise.race([
    proc.exited.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
  ]);
  clearTimeout(timer);
  killGroup(proc.pid, 'SIGKILL'); // whatever is left of the group
  if (killed) await proc.exited;
  children.delete(proc);
}

let clockTicks: number | undefined;
/** Clock ticks per second (`getconf CLK_TCK`, usually 100). */
export function clkTck(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces), or undefined if the process is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command's closing parenthesis start at field 3 (state).
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** `roots` and every live process descended from them. */
export function processTree(roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (!fields) continue;
    const parent = Number(fields[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  const pending = [...roots];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    if (tree.includes(pid)) continue;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/**
 * CPU of whole process trees so far, in milliseconds: each live process's
 * utime + stime, plus cutime + cstime (what its reaped children used, such
 * as PostgreSQL backends that exited), so a delta counts every process
 * that ran in the trees between two readings.
 */
export function treeCpuMs(roots: number[]): number {
  let ticks = 0;
  for (const pid of processTree(roots)) {
    const fields = statFields(pid);
    if (fields) ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return (ticks * 1000) / clkTck();
}

/** Resident set size of a process, in bytes (/proc/<pid>/status VmRSS). */
export function rssBytes(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Proportional set size of a process, in bytes (/proc/<pid>/smaps_rollup Pss): shared pages split between their users. */
function pssBytes(pid: number): number {
  try {
    const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const match = /^Pss:\s+(\d+)\s+kB/m.exec(rollup);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Memory of whole process trees: the sum of VmRSS (what `ps` shows; pages
 * shared between processes, such as PostgreSQL's shared buffers and its
 * binary, count once per process) and the sum of PSS (each shared page
 * split between its users, so the tree's real footprint).
 */
export function treeMemory(roots: number[]): { rss: number; pss: number; processes: number } {
  const tree = processTree(roots);
  return { rss: tree.reduce((sum, pid) => sum + rssBytes(pid), 0), pss: tree.reduce((sum, pid) => sum + pssBytes(pid), 0), processes: tree.length };
}
