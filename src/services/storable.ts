/**
 * What a run records must be storable, or one run's output would make the
 * flush statement of every run on the instance fail. PostgreSQL text and
 * jsonb hold neither U+0000 nor a lone UTF-16 surrogate (jsonb rejects the
 * `\ud800` escape JSON.stringify writes for one, 22P02), and its `int`
 * columns hold 32 bits. Whatever a provider or a tool produced is made
 * storable here, before the event exists, so what is stored is what is shown.
 */
import type { StoredUsage } from '../entities/index.js';

const REPLACEMENT = '\ufffd';
/** The largest value of a PostgreSQL `int` column (token_count). */
const MAX_INT4 = 2 ** 31 - 1;

export function storableText(value: string): string {
  const wellFormed = value.isWellFormed() ? value : value.toWellFormed();
  return wellFormed.includes('\0') ? wellFormed.replaceAll('\0', REPLACEMENT) : wellFormed;
}

/** Every string in a JSON-like value (keys too) made storable. */
export function storable<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storable(v)])) as T;
  }
  return value;
}

/** A token count a provider reported: a whole number from 0 to the int column's maximum. */
export function tokenCount(value: unknown): number {
  const n = typeof value === 'number' && Number.isFinite(value) ? Math.floor(value) : 0;
  return Math.min(Math.max(n, 0), MAX_INT4);
}

export function storableUsage(usage: StoredUsage): StoredUsage {
  return {
    promptTokens: tokenCount(usage.promptTokens),
    completionTokens: tokenCount(usage.completionTokens),
    totalTokens: tokenCount(usage.totalTokens),
    reasoningTokens: usage.reasoningTokens === null ? null : tokenCount(usage.reasoningTokens),
  };
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/**
 * Joins a streamed text's chunks when a provider split a surrogate pair
 * between two of them (a server that slices by UTF-16 units): a trailing
 * high surrogate waits for the next chunk of the same step. `take` returns
 * what can be stored now; `flush` what is left when the step ends.
 */
export class SurrogateJoiner {
  private carry = '';

  take(chunk: string): string {
    let text = this.carry + chunk;
    this.carry = '';
    if (text.length > 0 && isHighSurrogate(text.charCodeAt(text.length - 1))) {
      this.carry = text.slice(-1);
      text = text.slice(0, -1);
    }
    return storableText(text);
  }

  /** The held-back half of a pair that never completed. */
  flush(): string {
    const left = this.carry ? REPLACEMENT : '';
    this.carry = '';
    return left;
  }
}
