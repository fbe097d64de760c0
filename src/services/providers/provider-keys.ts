/**
 * How a provider's secrets are stored and shown: the API key encrypted at
 * rest with a short hint beside it, and base URLs without their user and
 * password.
 */
import type { Provider } from '../../entities/index.js';
import type { SecretBox } from '../secrets/secret-box.js';

/** The URL without its user and password (LLM_BASE_URL may carry them); '' if it is not a URL. */
export function withoutCredentials(url: string): string {
  if (!URL.canParse(url)) return '';
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return url;
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

/** At most 4 characters, and never more than a quarter of the key. */
export function apiKeyHint(key: string): string | null {
  const length = Math.min(4, Math.floor(key.length / 4));
  return length > 0 ? key.slice(-length) : null;
}

/** The key columns of a provider row: the encrypted key and its hint, or none. */
export function keyColumns(secrets: SecretBox, apiKey: string | null): Pick<Provider, 'apiKeyCiphertext' | 'apiKeyHint'> {
  return apiKey
    ? { apiKeyCiphertext: secrets.encrypt(apiKey), apiKeyHint: apiKeyHint(apiKey) }
    : { apiKeyCiphertext: null, apiKeyHint: null };
}
