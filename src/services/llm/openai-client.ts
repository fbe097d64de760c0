/**
 * One `openai` SDK client per provider: base URL and decrypted key. The key
 * is decrypted here, at the moment of use, and leaves this module only as
 * a secret to scrub from what the provider says (providerSecrets).
 * The SDK's own retries are the only ones (429 and 5xx, before the first
 * byte); a `retry-after` longer than we are willing to wait turns retrying
 * off for that response instead of parking the run. A provider that sends
 * no headers within the timeout is not retried either: the SDK would retry a
 * hang like a 5xx, and each attempt would cost the whole timeout again.
 */
import net from 'node:net';
import OpenAI from 'openai';
import { Agent } from 'undici';
import { isPrivateAddress, publicOnlyLookup } from '../providers/address-policy.js';
import { demoFetch } from './demo-model.js';
import type { Provider } from '../../entities/index.js';
import type { SecretBox } from '../secrets/secret-box.js';

export interface ClientOptions {
  maxRetries: number;
  /** How long one attempt may wait for the response's headers (not retried). */
  timeoutMs: number;
  /**
   * Connect only to public addresses and follow no redirect (a non-admin's
   * private provider): the SSRF guard at request time, not only when the URL
   * was saved.
   */
  publicOnly?: boolean;
}

const publicOnlyAgent = new Agent({ connect: { lookup: publicOnlyLookup as unknown as net.LookupFunction } });

/** Marks the synthetic answer to a request whose headers never came. */
export const HEADERS_TIMEOUT_HEADER = 'x-chat-run-headers-timeout';

class HeadersTimeout extends Error {}

/** Longest `retry-after` the SDK may honour before retrying. */
export const MAX_RETRY_AFTER_MS = 20_000;

function retryAfterMs(headers: Headers): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms && !Number.isNaN(Number(ms))) return Number(ms);
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : date - Date.now();
}

/**
 * The provider `fetch`: bounds the wait for headers (answering a synthetic,
 * marked, non-retryable 504 when it runs out) and tells the SDK not to
 * retry when the wait asked for is too long.
 */
function providerFetch(headersTimeoutMs: number, publicOnly: boolean): typeof fetch {
  return async (input, init) => {
    if (publicOnly) {
      // An address literal never goes through the lookup: check it here.
      const host = new URL(input instanceof Request ? input.url : String(input)).hostname.replace(/^\[(.*)\]$/, '$1');
      if (net.isIP(host) && isPrivateAddress(host)) throw new TypeError(`${host} is a private address`);
    }
    const controller = new AbortController();
    const outer = init?.signal;
    if (outer?.aborted) controller.abort(outer.reason);
    outer?.addEventListener('abort', () => controller.abort(outer.reason), { once: true });
    const timer = setTimeout(() => controller.abort(new HeadersTimeout()), headersTimeoutMs);
    let response: Response;
    try {
      response = await fetch(input, {
        ...init,
        signal: controller.signal,
        ...(publicOnly ? { dispatcher: publicOnlyAgent, redirect: 'error' } : {}),
      } as RequestInit);
    } catch (error) {
      if (controller.signal.reason instanceof HeadersTimeout && !outer?.aborted) {
        return new Response(JSON.stringify({ error: { message: 'The provider sent no response in time.', type: 'timeout' } }), {
          status: 504,
          headers: { 'content-type': 'application/json', 'x-should-retry': 'false', [HEADERS_TIMEOUT_HEADER]: '1' },
        });
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
    const wait = response.ok ? undefined : retryAfterMs(response.headers);
    if (wait === undefined || wait <= MAX_RETRY_AFTER_MS) return response;
    const headers = new Headers(response.headers);
    headers.set('x-should-retry', 'false');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

/** Every form of `value` a provider might quote: as is, percent-encoded and percent-decoded. */
function forms(value: string): string[] {
  let decoded = value;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    // Not percent-encoded.
  }
  return [...new Set([value, encodeURIComponent(value), decoded])];
}

/**
 * What no message shown to a user may contain from this provider: its key
 * and the user and password of its base URL (LLM_BASE_URL may carry them),
 * each also percent-encoded and decoded. See toRunFailure.
 */
export function providerSecrets(provider: Provider, secrets: SecretBox): string[] {
  const found: string[] = [];
  if (provider.apiKeyCiphertext) found.push(...forms(secrets.decrypt(provider.apiKeyCiphertext)));
  if (URL.canParse(provider.baseUrl)) {
    const { username, password } = new URL(provider.baseUrl);
    for (const part of [username, password]) if (part) found.push(...forms(part));
  }
  return [...new Set(found)];
}

export function createOpenAIClient(provider: Provider, secrets: SecretBox, options: ClientOptions): OpenAI {
  return new OpenAI({
    baseURL: provider.baseUrl,
    // The SDK insists on a key; local endpoints (Ollama, vLLM) ignore it.
    apiKey: provider.apiKeyCiphertext ? secrets.decrypt(provider.apiKeyCiphertext) : 'none',
    maxRetries: options.maxRetries,
    // The wait for headers is bounded per attempt in providerFetch; the SDK's own timeout (which
    // it would retry) only backs that up.
    timeout: Math.max(options.timeoutMs * 4, 600_000),
    // The demo model is served in this process: its row names no address (see demo-model.ts).
    fetch: provider.managedBy === 'demo' ? demoFetch : providerFetch(options.timeoutMs, options.publicOnly ?? false),
  });
}
