/**
 * Where the provider-key encryption key comes from: ENCRYPTION_KEY, or on the
 * embedded database a key generated once and kept beside the data (mode 0600).
 * A fingerprint in the database makes a server with the wrong key refuse to
 * start instead of failing later on every provider call.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { Setting } from '../../entities/index.js';
import { EncryptionKeyMismatchError } from '../errors.js';
import { createSecretBox, type SecretBox } from './secret-box.js';

const FINGERPRINT_KEY = 'encryption_key_fingerprint';

/** Reads DATA_DIR/encryption.key, creating it (0600) on first use. */
export function loadOrCreateKeyFile(dataDir: string): Buffer {
  const file = path.join(dataDir, 'encryption.key');
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, crypto.randomBytes(32).toString('base64') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
  return key;
}

/** Checks the key against the stored fingerprint (storing it the first time). */
export async function openSecretBox(dataSource: DataSource, key: Buffer): Promise<SecretBox> {
  const box = createSecretBox(key);
  const settings = dataSource.getRepository(Setting);
  await settings
    .createQueryBuilder()
    .insert()
    .values({ key: FINGERPRINT_KEY, value: box.fingerprint })
    .orIgnore()
    .execute();
  const stored = await settings.findOneByOrFail({ key: FINGERPRINT_KEY });
  if (stored.value !== box.fingerprint) {
    throw new EncryptionKeyMismatchError(
      'ENCRYPTION_KEY does not match the key this database was encrypted with; start with the original key',
    );
  }
  return box;
}
