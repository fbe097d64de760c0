/**
 * The `JSON` scalar's input side: every JSON input (variables and literals)
 * is bounded here, before any resolver or service sees it. A value nested
 * 20,000 deep overflowed the stack in JSON.stringify, and a lone surrogate
 * made PostgreSQL's jsonb refuse the row: both were masked internal errors.
 * The walk is iterative so that no input depth can overflow it.
 */
import { valueFromASTUntyped, type ValueNode } from 'graphql';
import { textProblem } from '../services/validation.js';
import { SafeInputError } from '../graphql-error.js';

/** Containers inside containers: `{"a":{"b":1}}` is 2 deep. */
export const MAX_JSON_DEPTH = 32;
/** The value's size as JSON text, in UTF-8 bytes. */
export const MAX_JSON_BYTES = 64 * 1024;

/** A refusal the client can act on; the message never quotes the value. */
function refuse(message: string): never {
  throw new SafeInputError(message);
}

const tooDeep = () => refuse(`JSON must not be nested more than ${MAX_JSON_DEPTH} levels deep.`);
const tooLarge = () => refuse(`JSON must not be larger than ${MAX_JSON_BYTES} bytes.`);

function checkText(value: string, what: 'keys' | 'strings') {
  const problem = textProblem(value);
  if (problem) refuse(`JSON ${what} ${problem}.`);
}

/**
 * Returns `value` when it is JSON within the limits; throws a BAD_USER_INPUT
 * GraphQLError otherwise. `undefined` members are allowed and dropped, as
 * JSON.stringify drops them (a literal's unset variable during validation).
 */
export function checkJson(value: unknown): unknown {
  const pending: [unknown, number][] = [[value, 0]];
  // A lower bound of the UTF-8 size (every UTF-16 unit is at least one byte), to stop early on huge input.
  let size = 0;
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (item === null || item === undefined || typeof item === 'boolean') {
      size += 4;
    } else if (typeof item === 'number') {
      if (!Number.isFinite(item)) refuse('JSON numbers must be finite.');
      size += 1;
    } else if (typeof item === 'string') {
      checkText(item, 'strings');
      size += item.length + 2;
    } else if (Array.isArray(item)) {
      if (depth >= MAX_JSON_DEPTH) tooDeep();
      size += item.length + 1;
      if (size > MAX_JSON_BYTES) tooLarge();
      for (const member of item) pending.push([member, depth + 1]);
    } else if (typeof item === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(item))) {
      if (depth >= MAX_JSON_DEPTH) tooDeep();
      size += 2;
      for (const [key, member] of Object.entries(item)) {
        checkText(key, 'keys');
        size += key.length + 4;
        if (size > MAX_JSON_BYTES) tooLarge();
        pending.push([member, depth + 1]);
      }
    } else {
      refuse('JSON must be made of objects, arrays, strings, numbers, booleans and null.');
    }
    if (size > MAX_JSON_BYTES) tooLarge();
  }
  // Within the depth limit JSON.stringify is safe; this is the exact size.
  if (Buffer.byteLength(JSON.stringify(value) ?? '') > MAX_JSON_BYTES) tooLarge();
  return value;
}

export const parseJsonValue = (value: unknown): unknown => checkJson(value);

/**
 * graphql's own literal walk is recursive, which is safe here: the document's
 * token limit (query-limits.ts) refuses any literal deep enough to matter
 * while parsing, and the parser's recursion is deeper than this walk's.
 */
export const parseJsonLiteral = (node: ValueNode, variables?: Record<string, unknown> | null): unknown =>
  checkJson(valueFromASTUntyped(node, variables));
