/**
 * Runs the server as its own process (`src/main.ts` under tsx), the way
 * `npm start` does, for tests of start-up, signals and crashes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
// `node --import tsx` rather than the tsx CLI: the CLI runs the program in a child process, and a
// SIGKILL sent to the CLI would leave that child (the real server) running.

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  port: number;
  output(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the server; resolves once it printed its URL, rejects if it exits first. */
export function spawnServer(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in time:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Graph(?:iQL|QL) at (http:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        const url = match[1]!;
        resolve({ child, url, port: Number(new URL(url).port), output: () => output, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`server exited with ${code} before it was ready:\n${output}`), { code, output }));
    });
  });
}

/** Runs the server expecting it to refuse to start; returns its exit code and output. */
export async function spawnExpectingFailure(env: Record<string, string>) {
  try {
    const started = await spawnServer(env);
    started.child.kill('SIGKILL');
    throw new Error('the server started, but it should have refused');
  } catch (error) {
    const { code, output } = error as { code?: number; output?: string };
    if (code === undefined) throw error;
    return { code, output: output ?? '' };
  }
}
