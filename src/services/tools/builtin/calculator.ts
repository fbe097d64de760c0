import { z } from 'zod';
import { defineTool } from '../tool.js';
import { evaluateArithmetic } from './arithmetic.js';

export const calculator = defineTool({
  name: 'calculator',
  description:
    'Evaluates an arithmetic expression: numbers, + - * / % ^, parentheses, sqrt, abs, round, floor, ceil, sin, cos, tan, ln, log, exp, min, max, pi, e.',
  parameters: z.object({ expression: z.string().min(1).max(1000).describe('For example "(2 + 3) * 4 ^ 2"') }).strict(),
  minPermissionLevel: 1,
  timeoutMs: 1_000,
  source: 'builtin',
  execute: ({ expression }) => ({ expression, result: evaluateArithmetic(expression) }),
});
