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

/** Evaluates an arithmetic expression; throws ArithmeticError for anything else. */
export function evaluateArithmetic(expression: string): number {
  if (expression.length > 1000) throw new ArithmeticError('the expression is too long');
  const tokens = tokenize(expression);
  let index = 0;
  let depth = 0;
  const peek = () => tokens[index];
  const isOp = (value: string) => peek()?.kind === 'op' && peek()!.value === value;
  const expect = (value: string) => {
    if (!isOp(value)) throw new ArithmeticError(`expected "${value}"`);
    index++;
  };

  // expression := term (('+' | '-') term)*
  const parseExpression = (): number => {
    let value = parseTerm();
    while (isOp('+') || isOp('-')) {
      const op = tokens[index++]!.value;
      const right = parseTerm();
      value = op === '+' ? value + right : value - right;
    }
    return value;
  };
  // term := unary (('*' | '/' | '%') unary)*
  const parseTerm = (): number => {
    let value = parseUnary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = tokens[index++]!.value;
      const right = parseUnary();
      if ((op === '/' || op === '%') && right === 0) throw new ArithmeticError('division by zero');
      value = op === '*' ? value * right : op === '/' ? value / right : value % right;
    }
    return value;
  };
  // unary := ('-' | '+') unary | power
  const parseUnary = (): number => {
    if (isOp('-')) {
      index++;
      return -parseUnary();
    }
    if (isOp('+')) {
      index++;
      return parseUnary();
    }
    return parsePower();
  };
  // power := primary ('^' unary)?   (right-associative)
  const parsePower = (): number => {
    const base = parsePrimary();
    if (isOp('^')) {
      index++;
      return base ** parseUnary();
    }
    return base;
  };
  const parsePrimary = (): number => {
    const token = tokens[index++];
    if (!token) throw new ArithmeticError('the expression ends too early');
    if (token.kind === 'number') return token.value;
    if (token.kind === 'op' && token.value === '(') {
      if (++depth > 100) throw new ArithmeticError('too deeply nested');
      const value = parseExpression();
      expect(')');
      depth--;
      return value;
    }
    if (token.kind === 'name') {
      if (Object.hasOwn(CONSTANTS, token.value) && !isOp('(')) return CONSTANTS[token.value]!;
      if (!Object.hasOwn(FUNCTIONS, token.value)) throw new ArithmeticError(`unknown name "${token.value}"`);
      expect('(');
      const args = [parseExpression()];
      while (isOp(',')) {
        index++;
        args.push(parseExpression());
      }
      expect(')');
      return FUNCTIONS[token.value]!(...args);
    }
    throw new ArithmeticError(`unexpected "${token.value}"`);
  };

  const result = parseExpression();
  if (index < tokens.length) throw new ArithmeticError(`unexpected "${String(tokens[index]!.value)}"`);
  if (!Number.isFinite(result)) throw new ArithmeticError('the result is not a finite number');
  return result;
}
