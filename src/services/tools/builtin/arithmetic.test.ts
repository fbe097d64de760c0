import { describe, expect, it } from 'vitest';
import { ArithmeticError, evaluateArithmetic } from './arithmetic.js';

/** The ArithmeticError's message, or the value when there is none. */
function outcome(expression: string): number | string {
  try {
    return evaluateArithmetic(expression);
  } catch (error) {
    if (!(error instanceof ArithmeticError)) throw error;
    return `error: ${error.message}`;
  }
}

const nested = (open: string, depth: number, close = ')') => open.repeat(depth) + '1' + close.repeat(depth);

describe('evaluateArithmetic', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['1 - 2 - 3', -4],
    ['8 / 4 / 2', 1],
    ['2 * 3 ^ 2', 18],
    ['-5 % 3', -2],
    ['(2 + 3) * 4 ^ 2', 80],
  ])('keeps precedence and left associativity: %s = %s', (expression, value) => {
    expect(outcome(expression)).toBe(value);
  });

  it('raises to powers from the right, binding tighter than a leading minus', () => {
    expect(outcome('2^3^2')).toBe(512);
    expect(outcome('2**3**2')).toBe(512);
    // -2^2 is -(2^2), as written in mathematics (Python agrees; spreadsheets do not).
    expect(outcome('-2^2')).toBe(-4);
    expect(outcome('(-2)^2')).toBe(4);
    expect(outcome('2^-1')).toBe(0.5);
    expect(outcome('-2^-2')).toBe(-0.25);
  });

  it('refuses a division or remainder by zero, and any result that is not finite', () => {
    expect(outcome('1/0')).toBe('error: division by zero');
    expect(outcome('0/0')).toBe('error: division by zero');
    expect(outcome('5 % 0')).toBe('error: division by zero');
    expect(outcome('1 / (2 - 2)')).toBe('error: division by zero');
    expect(outcome('10^400')).toBe('error: the result is not a finite number');
    expect(outcome('sqrt(-1)')).toBe('error: the result is not a finite number');
  });

  it('chains signs', () => {
    expect(outcome('--2')).toBe(2);
    expect(outcome('---2')).toBe(-2);
    expect(outcome('+-+2')).toBe(-2);
    expect(outcome('- -2')).toBe(2);
    expect(outcome('-'.repeat(999) + '2')).toBe(-2);
  });

  it('reads decimals and exponent notation', () => {
    expect(outcome('1.5')).toBe(1.5);
    expect(outcome('.5')).toBe(0.5);
    expect(outcome('1.')).toBe(1);
    expect(outcome('1e3')).toBe(1000);
    expect(outcome('1.5E-2')).toBe(0.015);
    expect(outcome('1e')).toBe('error: unexpected "e"');
    expect(outcome('1..2')).toBe('error: unexpected "0.2"');
    expect(outcome('0x10')).toBe('error: unexpected "x10"');
  });

  it('ignores whitespace around tokens, and refuses empty input', () => {
    expect(outcome(' \t1\n+ 2 ')).toBe(3);
    expect(outcome('')).toBe('error: the expression ends too early');
    expect(outcome('   ')).toBe('error: the expression ends too early');
    expect(outcome('1 +')).toBe('error: the expression ends too early');
  });

  it('knows its functions and constants, case-insensitively, and no other name', () => {
    expect(outcome('sqrt(16) + ABS(-3) + min(3, 1, 2)')).toBe(8);
    expect(outcome('ln(e) + log(1000)')).toBe(4);
    expect(outcome('PI')).toBe(Math.PI);
    expect(outcome('pi(1)')).toBe('error: unknown name "pi"');
    expect(outcome('toString')).toBe('error: unknown name "tostring"');
    expect(outcome('constructor(1)')).toBe('error: unknown name "constructor"');
    expect(outcome('__proto__')).toBe('error: unknown name "__proto__"');
    expect(outcome('sqrt 4')).toBe('error: expected "("');
    expect(outcome('min()')).toBe('error: unexpected ")"');
  });

  it('refuses invalid characters and misplaced tokens', () => {
    expect(outcome('2 $ 3')).toBe('error: unexpected character "$"');
    expect(outcome('٣')).toBe('error: unexpected character "٣"');
    expect(outcome('2(3)')).toBe('error: unexpected "("');
    expect(outcome('2 3')).toBe('error: unexpected "3"');
    expect(outcome('*1')).toBe('error: unexpected "*"');
    expect(outcome('(1')).toBe('error: expected ")"');
    expect(outcome('1)')).toBe('error: unexpected ")"');
  });

  it('bounds nesting with an error, never a stack overflow', () => {
    expect(outcome(nested('(', 100))).toBe(1);
    expect(outcome(nested('(', 101))).toBe('error: too deeply nested');
    // Calls nest as deep as the length allows.
    expect(outcome(nested('abs(', 199))).toBe(1);
    expect(outcome(nested('(', 10_000))).toBe('error: the expression is too long');
  });

  it('refuses input over 1000 characters before reading it', () => {
    expect(outcome(`1${'+1'.repeat(499)}`)).toBe(500);
    const started = performance.now();
    expect(outcome('1+'.repeat(500_000) + '1')).toBe('error: the expression is too long');
    expect(performance.now() - started).toBeLessThan(100);
  });
});
