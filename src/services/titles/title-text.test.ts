import { describe, expect, it } from 'vitest';
import { cleanTitle, demoTitle } from './title-text.js';

describe('cleanTitle', () => {
  it('keeps a plain short title', () => {
    expect(cleanTitle('Paris travel tips')).toBe('Paris travel tips');
  });

  it('strips reasoning blocks, closed, unclosed or with only the closing tag', () => {
    expect(cleanTitle('<think>The user asks about Paris.\nA title...</think>\nParis travel tips')).toBe('Paris travel tips');
    expect(cleanTitle('<thinking>hmm</thinking> Trip <think>x</think>')).toBe('Trip');
    expect(cleanTitle('<think>still thinking when cut off')).toBe('');
    expect(cleanTitle('reasoning without an opening tag</think>\n\nParis travel tips')).toBe('Paris travel tips');
  });

  it('removes quotes, a label, markdown and trailing punctuation, but keeps a question mark', () => {
    expect(cleanTitle('"Paris travel tips".')).toBe('Paris travel tips');
    expect(cleanTitle('Title: “Paris travel tips”')).toBe('Paris travel tips');
    expect(cleanTitle('## **Paris travel tips**')).toBe('Paris travel tips');
    expect(cleanTitle('Why is the sky blue?')).toBe('Why is the sky blue?');
    expect(cleanTitle("'Budget planning!'")).toBe('Budget planning');
  });

  it('is storable: NUL and a lone surrogate from the provider become U+FFFD, and the cap never halves an emoji', () => {
    expect(cleanTitle('Paris\u0000 trip \ud800tips')).toBe('Paris\ufffd trip \ufffdtips');
    const emojiAtCut = cleanTitle(`${'a'.repeat(76)}😀${'b'.repeat(20)}`);
    expect(emojiAtCut.isWellFormed()).toBe(true);
    expect(emojiAtCut).toBe(`${'a'.repeat(76)}...`);
  });

  it('takes the first non-empty line and caps the length', () => {
    expect(cleanTitle('\n\n  First line  \nSecond line')).toBe('First line');
    const long = cleanTitle('word '.repeat(40));
    expect(long.length).toBeLessThanOrEqual(80);
    expect(long.endsWith('...')).toBe(true);
  });

  it('is empty for an answer without a title', () => {
    expect(cleanTitle('')).toBe('');
    expect(cleanTitle('  \n "" \n')).toBe('');
  });
});

describe('demoTitle', () => {
  it('is deterministic: the first words of the first line, capitalised', () => {
    expect(demoTitle('what is 6*7?\nand more')).toBe('What Is 6*7');
    expect(demoTitle('please summarise this long text for me now')).toBe('Please Summarise This Long Text');
    expect(demoTitle('What time is it?')).toBe('What Time Is It');
  });
});
