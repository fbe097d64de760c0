/** What sendMessage accepts, validated once, and the title an untitled conversation gets from its first message. */
import { z } from 'zod';
import { text, type parseInput } from '../validation.js';

export const sendSchema = (maxChars: number) =>
  z
    .object({
      conversationId: z.string().nullish(),
      text: text(maxChars).refine((t) => t.trim().length > 0, 'must not be empty'),
      enabledTools: z.array(z.string().max(64)).max(64, 'at most 64 tools').nullish(),
      thinkingEnabled: z.boolean().nullish(),
      clientMutationId: text(200).min(1).nullish(),
    })
    .strict();

export type SendMessageInput = z.input<ReturnType<typeof sendSchema>>;

export type SendValues = ReturnType<typeof parseInput<ReturnType<typeof sendSchema>>>;

/** A short title from the first message, for a conversation without one (its first line, bounded). */
export function titleFrom(text: string): string {
  const line = (text.trim().split('\n')[0] ?? '').trim();
  if (line.length <= 80) return line;
  // Never half of a surrogate pair (an emoji at the cut): it would be stored as U+FFFD.
  const end = /[\uD800-\uDBFF]/.test(line.charAt(76)) ? 76 : 77;
  return `${line.slice(0, end).trimEnd()}...`;
}
