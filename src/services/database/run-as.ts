/**
 * Who runs the embedded PostgreSQL, and how its commands are spelled.
 *
 * PostgreSQL refuses to run as root. As root the cluster runs as the
 * unprivileged system user `chat-run-postgres` (created on first use,
 * `nobody` where no user can be created), which owns only the cluster's
 * folder. When that user cannot reach the binaries or the folder (a
 * DATA_DIR inside a 0700 directory, as `mktemp -d` makes), each command
 * runs in a private mount namespace that binds the two onto a small tmpfs
 * it can reach, then drops to the user: nothing on the machine is
 * re-permissioned. Every way sets PR_SET_PDEATHSIG where `setpriv` exists,
 * so a postmaster whose server died stops itself.
 */
import { execFileSync, type SpawnOptions } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const USER = 'chat-run-postgres';
const NOBODY = { uid: 65534, gid: 65534, name: 'nobody' };

export interface RunAs {
  /** The cluster folder as the PostgreSQL process sees it. */
  clusterPath: string;
  /** Makes the password file readable to initdb; returns its path as initdb sees it. */
  initdbPassword(): string;
  /** For the start-up line; undefined when the server's own user runs it. */
  description?: string;
  /** Gives a folder to the user that runs the cluster. */
  own(folder: string): void;
  /** [file, args, spawn options] that run `binary args` as that user. */
  command(binary: string, args: string[]): [string, string[], SpawnOptions];
}

interface Account {
  uid: number;
  gid: number;
  name: string;
}

/** How to run the binaries under `nativeDir` on the cluster in `clusterDir` (password in `passwordFile`). */
export async function runAs(nativeDir: string, clusterDir: string, passwordFile: string): Promise<RunAs> {
  const setpriv = findExecutable('setpriv');
  if (process.getuid?.() !== 0) {
    const deathSignal = (binary: string, args: string[]): [string, string[], SpawnOptions] =>
      setpriv ? [setpriv, ['--pdeathsig', 'INT', '--', binary, ...args], {}] : [binary, args, {}];
    return { clusterPath: clusterDir, initdbPassword: () => passwordFile, own: () => {}, command: deathSignal };
  }
  const account = systemAccount();
  const own = (folder: string) => fs.chownSync(folder, account.uid, account.gid);
  const reachable = canReach(account, nativeDir, true) && canReach(account, path.dirname(clusterDir), false);
  if (reachable) {
    return {
      clusterPath: clusterDir,
      // initdb reads the password as the user: a copy it may read (removed once initdb is done).
      initdbPassword: () => readableCopy(passwordFile, account),
      description: `as user ${account.name}`,
      own,
      command: (binary, args) =>
        setpriv
          ? [setpriv, [...dropTo(account), '--', binary, ...args], {}]
          : [binary, args, { uid: account.uid, gid: account.gid }],
    };
  }
  if (!setpriv || !findExecutable('unshare')) {
    throw new Error(`the user ${account.name} cannot reach ${clusterDir}, and setpriv or unshare is missing`);
  }
  return mountedRunAs(account, setpriv, nativeDir, clusterDir, passwordFile, own);
}

/** Binds the binaries and the cluster onto a tmpfs the user can reach, in the command's own mount namespace. */
function mountedRunAs(
  account: Account,
  setpriv: string,
  nativeDir: string,
  clusterDir: string,
  passwordFile: string,
  own: (folder: string) => void,
): RunAs {
  // One mount point per cluster, in the world-traversable temporary folder (an empty folder on the host).
  const mount = path.join(os.tmpdir(), `chat-run-pg-${crypto.createHash('sha256').update(clusterDir).digest('hex').slice(0, 12)}`);
  fs.mkdirSync(mount, { recursive: true, mode: 0o755 });
  const stat = fs.lstatSync(mount);
  if (!stat.isDirectory() || stat.uid !== 0) throw new Error(`${mount} is not a folder of root's`);
  const script = [
    'set -e',
    'm=$1 native=$2 cluster=$3 pw=$4 uid=$5',
    'mount -t tmpfs -o mode=0755,size=1m chat-run-pg "$m"',
    'mkdir "$m/bin" "$m/data"',
    'mount --bind "$native" "$m/bin"',
    'mount --bind "$cluster" "$m/data"',
    'install -m 0400 -o "$uid" "$pw" "$m/password"',
    'shift 5',
    'exec "$@"',
  ].join('\n');
  const inMount = (binary: string) => path.join(mount, 'bin', path.relative(nativeDir, binary));
  return {
    clusterPath: path.join(mount, 'data'),
    initdbPassword: () => path.join(mount, 'password'),
    description: `as user ${account.name}, in a private mount namespace (${path.dirname(clusterDir)} is not reachable by it)`,
    own,
    command: (binary, args) => [
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        script,
        'sh',
        mount,
        nativeDir,
        clusterDir,
        passwordFile,
        String(account.uid),
        setpriv,
        ...dropTo(account),
        '--',
        inMount(binary),
        ...args,
      ],
      {},
    ],
  };
}

function dropTo(account: Account): string[] {
  return [`--reuid=${account.uid}`, `--regid=${account.gid}`, '--clear-groups', '--pdeathsig', 'INT'];
}

/** The system user for the cluster, created on first use; nobody where that fails. */
function systemAccount(): Account {
  const found = lookup(USER);
  if (found) return found;
  try {
    execFileSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', USER],
      { stdio: 'ignore' },
    );
  } catch {
    // Another server may have created it meanwhile; otherwise nobody it is.
  }
  return lookup(USER) ?? NOBODY;
}

function lookup(name: string): Account | undefined {
  try {
    const line = fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith(`${name}:`));
    if (!line) return undefined;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid), name };
  } catch {
    return undefined;
  }
}

/** Whether `account` may traverse every folder down to `target` (and read it, for binaries). */
function canReach(account: Account, target: string, read: boolean): boolean {
  let current = path.resolve(target);
  for (;;) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(current);
    } catch {
      return false;
    }
    const bits = stat.uid === account.uid ? stat.mode >> 6 : stat.gid === account.gid ? stat.mode >> 3 : stat.mode;
    const needed = read && current === path.resolve(target) ? 0o5 : 0o1;
    if ((bits & needed) !== needed) return false;
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/** A copy of the password file the user may read (beside it, 0400, owned by the user). */
export const initdbPasswordCopy = (passwordFile: string) => `${passwordFile}.initdb`;

function readableCopy(passwordFile: string, account: Account): string {
  const copy = initdbPasswordCopy(passwordFile);
  fs.copyFileSync(passwordFile, copy);
  fs.chownSync(copy, account.uid, account.gid);
  fs.chmodSync(copy, 0o400);
  return copy;
}

function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
