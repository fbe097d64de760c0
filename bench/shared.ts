/** What the bench processes share: the clock, the prompt that drives the provider, the expected reply. */

/** Epoch milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export const now = () => performance.timeOrigin + performance.now();

/** The text of an n-token reply ("w0 w1 ... w<n-1>"): what every client must end up with. */
export const replyText = (n: number) => Array.from({ length: n }, (_, i) => (i === n - 1 ? `w${i}` : `w${i} `)).join('');

/** The prompt that asks the bench provider for `tokens` tokens at `paceMs` (0: as fast as the socket takes them). */
export function benchPrompt(marker: string, tokens: number, paceMs: number): string {
  return `Please answer. bench:${marker} tokens=${tokens} pace=${paceMs}`;
}

/** Per marker, when the provider wrote the response's first byte and its first and last text token. */
export interface ProviderTiming {
  firstByteAt: number;
  firstTextAt?: number;
  lastTextAt?: number;
}
