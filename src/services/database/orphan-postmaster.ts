/**
 * A postmaster left behind in a cluster folder: refused when a live server
 * still owns it, stopped when the server that started it died. Reads
 * /proc, so Linux only, as the embedded binaries are.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EmbeddedDatabaseError, STOP_TIMEOUT_MS } from './postgres-process.js';

/**
 * A postmaster.pid that names a live postgres serving this folder: refused
 * when a live server still owns it (its parent), stopped when it was left
 * behind by one that died. A stale file is PostgreSQL's own business.
 */
export async function stopOrphan(clusterDir: string): Promise<void> {
  const pid = postmasterPid(clusterDir);
  if (pid === undefined || !servesFolder(pid, clusterDir)) return;
  const parent = parentOf(pid);
  if (parent !== undefined && parent > 1 && isServerProcess(parent)) {
    throw new EmbeddedDatabaseError(
      `DATA_DIR ${path.dirname(clusterDir)} is in use by another running server (pid ${parent}); stop it or use another DATA_DIR.`,
    );
  }
  // Fast shutdown: its clients are gone with the server that died (woken first, should it be stopped).
  process.kill(pid, 'SIGCONT');
  process.kill(pid, 'SIGINT');
  if (!(await waitUntilGone(pid, STOP_TIMEOUT_MS))) {
    process.kill(pid, 'SIGKILL');
    await waitUntilGone(pid, 5_000);
  }
}

function postmasterPid(clusterDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The process runs in this folder (its working directory, whatever path it sees it by). */
function servesFolder(pid: number, clusterDir: string): boolean {
  try {
    const cwd = fs.statSync(`/proc/${pid}/cwd`);
    const folder = fs.statSync(clusterDir);
    return cwd.ino === folder.ino && cwd.dev === folder.dev;
  } catch {
    return false;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid …: comm may hold spaces or parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

function isServerProcess(pid: number): boolean {
  try {
    return /node/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}
