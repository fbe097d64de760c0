/**
 * What a conversation title may look like: a model's answer cleaned to one
 * short line (its reasoning, quotes, a "Title:" label and trailing
 * punctuation removed), and the demo model's deterministic title. Pure
 * functions; the length cap is the first-line title's (titleFrom).
 */
import { titleFrom } from '../runs/send-input.js';
import { storableText } from '../storable.js';

const TAG = '(?:think|thinking|reasoning)';
/** A reasoning block; an unclosed one runs to the end (the model was cut off while thinking). */
const REASONING_BLOCK = new RegExp(`<${TAG}>[\\s\\S]*?(?:</${TAG}>|$)`, 'gi');
/** Some chat templates emit only the closing tag: everything before it is reasoning. */
const CLOSING_TAG = new RegExp(`</${TAG}>`, 'i');
const QUOTES = `"'\`“”‘’«»„`;
const EDGE_QUOTES = new RegExp(`^[${QUOTES}]+|[${QUOTES}]+$`, 'g');
// A question mark stays: "Why is the sky blue?" is a fine title.
const TRAILING_PUNCTUATION = /[\s.,;:!…。]+$/u;

/** The title in a model's answer, or '' when it holds none (only reasoning, or blank). */
export function cleanTitle(answer: string): string {
  const visible = answer.replace(REASONING_BLOCK, '').split(CLOSING_TAG).at(-1) ?? '';
  const line = visible
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  if (!line) return '';
  let title = line
    .replace(/^#+\s*/, '')
    .replace(/^\*\*(.*)\*\*$/, '$1')
    .replace(/^title\s*:\s*/i, '');
  // Twice: `"Title".` loses its period, then its quotes.
  for (let i = 0; i < 2; i++) title = title.replace(EDGE_QUOTES, '').replace(TRAILING_PUNCTUATION, '').trim();
  // What a provider says may hold NUL or a lone surrogate, which PostgreSQL's text refuses.
  return title ? storableText(titleFrom(title)) : '';
}

/** Words the demo's title keeps. */
const DEMO_TITLE_WORDS = 5;

/**
 * The demo model's title: the first words of the first message, capitalised,
 * so a newcomer sees the generated title replace the first line.
 */
export function demoTitle(text: string): string {
  const words = (titleFrom(text).match(/\S+/g) ?? []).slice(0, DEMO_TITLE_WORDS);
  const capitalised = words.map((w) => w.charAt(0).toLocaleUpperCase() + w.slice(1)).join(' ');
  return cleanTitle(capitalised.replace(/\?+$/, ''));
}
