/**
 * A safe arithmetic evaluator for the calculator tool: a small
 * recursive-descent parser over numbers, + - * / % ^, parentheses, a few
 * functions and constants. Hand-written because it is short and must never
 * reach `eval` or property lookups on user input (the usual expression
 * libraries are large or have had prototype-pollution advisories).
 */
const FUNCTIONS: Record<string, (...args: number[]) => number> = {
  sqrt: Math.sqrt,
  abs: Math.abs,
  round: Math.round,
  floor: Math.floor,
  ceil: Math.ceil,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  ln: Math.log,
  log: Math.log10,
  log2: Math.log2,
  exp: Math.exp,
  min: Math.min,
  max: Math.max,
};
const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E };

export class ArithmeticError extends Error {}

type Token = { kind: 'number'; value: number } | { kind: 'name'; value: string } | { kind: 'op'; value: string };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|[-+*/%^(),]))/y;
  let position = 0;
  while (position < input.length) {
    if (/^\s*$/.test(input.slice(position))) break;
    pattern.lastIndex = position;
    const match = pattern.exec(input);
    if (!match) throw new ArithmeticError(`unexpected character "${input.slice(position).trim()[0]}"`);
    position = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: 'number', value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: 'name', value: match[2].toLowerCase() });
    else tokens.push({ kind: 'op', value: match[3] === '**' ? '^' : match[3]! });
  }
  return tokens;
}

const MAX_LENGTH = 1000;
/** Parentheses inside parentheses; the length limit bounds every other recursion. */
const MAX_DEPTH = 100;

/** One recursive-descent parse over the tokens, a method per grammar rule, evaluating as it goes. */
class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  /** The whole input: one expression and nothing after it. */
  parse(): number {
    const result = this.expression();
    const rest = this.tokens[this.index];
    if (rest) throw new ArithmeticError(`unexpected "${String(rest.value)}"`);
    return result;
  }

  private isOp(value: string): boolean {
    const token = this.tokens[this.index];
    return token?.kind === 'op' && token.value === value;
  }

  private expect(value: string): void {
    if (!this.isOp(value)) throw new ArithmeticError(`expected "${value}"`);
    this.index++;
  }

  /** The operator token just checked by isOp. */
  private takeOp(): string {
    return String(this.tokens[this.index++]!.value);
  }

  // expression := term (('+' | '-') term)*
  private expression(): number {
    let value = this.term();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.takeOp();
      const right = this.term();
      value = op === '+' ? value + right : value - right;
    }
    return value;
  }

  // term := unary (('*' | '/' | '%') unary)*
  private term(): number {
    let value = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = this.takeOp();
      const right = this.unary();
      if ((op === '/' || op === '%') && right === 0) throw new ArithmeticError('division by zero');
      value = op === '*' ? value * right : op === '/' ? value / right : value % right;
    }
    return value;
  }

  // unary := ('-' | '+') unary | power   (so -2^2 is -(2^2), as in mathematics)
  private unary(): number {
    if (this.isOp('-') || this.isOp('+')) {
      const op = this.takeOp();
      const value = this.unary();
      return op === '-' ? -value : value;
    }
    return this.power();
  }

  // power := primary ('^' unary)?   (right-associative: 2^3^2 is 2^9)
  private power(): number {
    const base = this.primary();
    if (!this.isOp('^')) return base;
    this.index++;
    return base ** this.unary();
  }

  // primary := number | '(' expression ')' | constant | function '(' expression (',' expression)* ')'
  private primary(): number {
    const token = this.tokens[this.index++];
    if (!token) throw new ArithmeticError('the expression ends too early');
    if (token.kind === 'number') return token.value;
    if (token.kind === 'name') return this.name(token.value);
    if (token.value !== '(') throw new ArithmeticError(`unexpected "${token.value}"`);
    if (++this.depth > MAX_DEPTH) throw new ArithmeticError('too deeply nested');
    const value = this.expression();
    this.expect(')');
    this.depth--;
    return value;
  }

  /** Own properties only: a name never reaches the prototype (`constructor`, `__proto__`). */
  private name(name: string): number {
    if (Object.hasOwn(CONSTANTS, name) && !this.isOp('(')) return CONSTANTS[name]!;
    const fn = Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
    if (!fn) throw new ArithmeticError(`unknown name "${name}"`);
    this.expect('(');
    const args = [this.expression()];
    while (this.isOp(',')) {
      this.index++;
      args.push(this.expression());
    }
    this.expect(')');
    return fn(...args);
  }
}

/** Evaluates an arithmetic expression; throws ArithmeticError for anything else. */
export function evaluateArithmetic(expression: string): number {
  if (expression.length > MAX_LENGTH) throw new ArithmeticError('the expression is too long');
  const result = new Parser(tokenize(expression)).parse();
  if (!Number.isFinite(result)) throw new ArithmeticError('the result is not a finite number');
  return result;
}
