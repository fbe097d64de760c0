/**
 * Turns whatever a provider call threw into a RunErrorCode and a message
 * that is safe to show a user: no key, no stack, no raw provider body for
 * authentication failures (some providers echo part of the key).
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

function providerDetail(error: InstanceType<typeof OpenAI.APIError>): string {
  const raw = (error.error as { message?: unknown } | undefined)?.message ?? '';
  const text = typeof raw === 'string' ? raw : '';
  // Drop anything that looks like a credential before a user sees it.
  return text.replace(/\b(sk|pk|rk|key)[-_][A-Za-z0-9_*.-]{6,}/gi, '[redacted]').slice(0, 300);
}

export function toRunFailure(error: unknown): RunFailure {
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
    const detail = providerDetail(error);
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
