/**
 * Encrypts provider API keys at rest with AES-256-GCM. The stored form is
 * `v1:<iv>:<tag>:<ciphertext>` (base64 parts), so a later key rotation can
 * add `v2` beside it.
 */
import crypto from 'node:crypto';

export interface SecretBox {
  encrypt(plaintext: string): string;
  decrypt(stored: string): string;
  /** A stable, non-reversible id of the key, stored to catch a wrong key at start-up. */
  readonly fingerprint: string;
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('the encryption key must be 32 bytes');
  return {
    encrypt(plaintext) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), data].map((p) => (typeof p === 'string' ? p : p.toString('base64'))).join(':');
    },
    decrypt(stored) {
      const [version, iv, tag, data] = stored.split(':');
      if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('unreadable ciphertext');
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
    },
    fingerprint: crypto.createHmac('sha256', key).update('chat-run-server/encryption-key-fingerprint').digest('base64url'),
  };
}
