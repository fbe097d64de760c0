/**
 * Turns whatever a provider call threw into a RunErrorCode and a message
 * that is safe to show a user: no key, no stack, no raw provider body for
 * authentication failures (some providers echo part of the key). Whatever
 * text of the provider's reaches the message (an HTTP error body, an
 * in-stream error) passes through one scrubber first: a shared provider's
 * error goes to users who must never learn its key.
 */
import OpenAI from 'openai';
import type { RunErrorCode } from '../../entities/index.js';
import { HEADERS_TIMEOUT_HEADER } from './openai-client.js';

/** No bytes from the provider for too long. */
export class StallError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`The provider sent nothing for ${Math.round(timeoutMs / 1000)} s.`);
    this.name = 'StallError';
  }
}

export interface RunFailure {
  code: RunErrorCode;
  message: string;
}

const CONTEXT_PATTERN = /context[_ ]length|maximum context|context window|too many tokens|prompt is too long/i;

const REDACTED = '[redacted]';

/**
 * Credential shapes a provider may quote that are not the key we sent (or
 * are, mangled): the fallback behind the exact secrets. Prefixes of the
 * common providers (OpenAI and most `sk-` ones, Groq `gsk_`, xAI `xai-`,
 * Hugging Face `hf_`, Google `AIza`, Replicate `r8_`, Perplexity `pplx-`,
 * NVIDIA `nvapi-`), bearer tokens, long hex strings and URL credentials.
 */
const CREDENTIAL_PATTERNS: readonly [RegExp, string][] = [
  [/\b(sk|pk|rk|key|gsk|xai|hf|r8|pplx|nvapi)[-_][A-Za-z0-9_*.-]{6,}/gi, REDACTED],
  [/\bAIza[A-Za-z0-9_-]{10,}/g, REDACTED],
  [/\bBearer\s+[^\s"',]+/gi, `Bearer ${REDACTED}`],
  [/\b[0-9a-f]{32,}\b/gi, REDACTED],
  [/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, `$1${REDACTED}@`],
];

/** Secrets shorter than this are not scrubbed: replacing every `ab` would shred the message and hide nothing. */
const MIN_SECRET_LENGTH = 4;

/**
 * `text` without any of `secrets` (exact, longest first) and without
 * anything shaped like a credential.
 */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= MIN_SECRET_LENGTH) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of CREDENTIAL_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Longest provider text a message quotes. */
const MAX_DETAIL = 300;

function providerDetail(error: InstanceType<typeof OpenAI.APIError>, secrets: readonly string[]): string {
  const raw = (error.error as { message?: unknown } | undefined)?.message ?? '';
  const text = typeof raw === 'string' ? raw : '';
  // Scrub before cutting, or a key cut in half at the end would no longer match. The first cut
  // only bounds the work; it keeps far more than a key's length beyond what is shown.
  return scrubSecrets(text.slice(0, MAX_DETAIL * 20), secrets).slice(0, MAX_DETAIL);
}

/**
 * The code and user-safe message for what a provider call threw. `secrets`
 * (the provider's key, its URL credentials) never appear in the message.
 */
export function toRunFailure(error: unknown, secrets: readonly string[] = []): RunFailure {
  if (error instanceof StallError) return { code: 'TIMEOUT', message: error.message };
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return { code: 'TIMEOUT', message: 'The provider did not answer in time.' };
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return { code: 'PROVIDER_ERROR', message: 'Could not reach the provider.' };
  }
  if (error instanceof OpenAI.APIError && error.headers?.get(HEADERS_TIMEOUT_HEADER)) {
    return { code: 'TIMEOUT', message: 'The provider did not answer in time.' };
  }
  if (error instanceof OpenAI.APIError) {
    const status = error.status;
    const code = (error as { code?: unknown }).code;
    if (status === 401 || status === 403) {
      return { code: 'AUTHENTICATION', message: `The provider refused the API key (${status}).` };
    }
    if (status === 429) return { code: 'RATE_LIMITED', message: 'The provider is rate limiting requests; try again later.' };
    const detail = providerDetail(error, secrets);
    if (code === 'context_length_exceeded' || CONTEXT_PATTERN.test(detail)) {
      return { code: 'CONTEXT_LENGTH', message: 'The conversation no longer fits the model\'s context window.' };
    }
    const prefix = status ? `The provider answered with an error (${status})` : 'The provider sent an error';
    return { code: 'PROVIDER_ERROR', message: detail ? `${prefix}: ${detail}` : `${prefix}.` };
  }
  if (error instanceof SyntaxError) {
    return { code: 'PROVIDER_ERROR', message: 'The provider sent a malformed stream.' };
  }
  return { code: 'PROVIDER_ERROR', message: 'The provider stream broke off.' };
}

/** Codes a client may retry as they are. */
export const RETRYABLE_CODES: readonly RunErrorCode[] = ['PROVIDER_ERROR', 'RATE_LIMITED', 'TIMEOUT', 'INTERRUPTED'];
