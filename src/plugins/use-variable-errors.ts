/**
 * Variables that do not coerce (an unknown field, a missing field, a wrong
 * type) are answered without echoing their values. graphql-js writes the
 * offending value into the message, `Variable "$input" got invalid value
 * { apiKey: "sk-…" }; Field "x" is not defined…`, and its scalars quote it
 * again (`String cannot represent a non string value: ["…"]`); yoga logs
 * that error before masking it, so API keys and message text reached the
 * log and went back in the response. The message is rebuilt from the parts
 * a client needs (variable, path, what is wrong) before the masking and
 * logging plugins see it.
 */
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { graphqlError, SafeInputError } from '../graphql-error.js';

const PREFIX = /^Variable "\$([_A-Za-z]\w*)" got invalid value /;
/** Every error about a variable's value ("was not provided", "must not be null" too) is the client's. */
const VARIABLE = /^Variable "\$\w+" /;
/** ` at "input.apiKey"`, ` at "input.enabledTools[0]"`: schema field names and list indexes only. */
const AT_PATH = / at "([_A-Za-z]\w*(?:\.[_A-Za-z]\w*|\[\d+\])*)"$/;
const NAME = /^[_A-Za-z]\w{0,63}$/;
/** A type reference as graphql prints it: `String!`, `[String!]`. */
const TYPE = String.raw`[\w!\[\]]+`;

/** graphql's reasons that name only schema things (fields, types), never the value. */
const VALUE_FREE = [
  new RegExp(`^Field "\\w+" of required type "${TYPE}" was not provided\\.$`),
  new RegExp(`^Expected non-nullable type "${TYPE}" not to be null\\.$`),
  /^Expected type "\w+" to be an object\.$/,
  /^Exactly one key must be specified for OneOf type "\w+"\.$/,
  /^Field "\w+" must be non-null\.$/,
];

/**
 * The inner message of a coercion error without the value it quotes. The
 * messages that carry no value are kept whole; the rest keep their first
 * clause (which names the type or field); anything unknown becomes generic.
 */
function redactReason(reason: string, inner?: unknown): string {
  if (inner instanceof SafeInputError) return reason;
  if (VALUE_FREE.some((pattern) => pattern.test(reason))) return reason;
  // The field name is the client's key: named only when it is a GraphQL name.
  const unknown = /^Field "(.*)" is not defined by type "(\w+)"\.(?: Did you mean ((?:"\w+"(?:, | or |, or )?)+)\?)?$/s.exec(reason);
  if (unknown) {
    const field = NAME.test(unknown[1]!) ? `Field "${unknown[1]}"` : 'A field';
    return `${field} is not defined by type "${unknown[2]}".${unknown[3] ? ` Did you mean ${unknown[3]}?` : ''}`;
  }
  // "Int cannot represent non-integer value: "many"" → without the value.
  const scalar = /^(\w+ cannot represent [\w -]+?)(?::|\.|$)/.exec(reason);
  if (scalar) return `${scalar[1]}.`;
  const enumType = /^Enum "(\w+)" cannot represent non-string value/.exec(reason);
  if (enumType) return `Enum "${enumType[1]}" cannot represent non-string value.`;
  const enumValue = /^Value ".*" does not exist in "(\w+)" enum\./s.exec(reason);
  if (enumValue) return `Value does not exist in "${enumValue[1]}" enum.`;
  const expected = new RegExp(`^Expected (?:value of )?type "(${TYPE})"`).exec(reason);
  if (expected) return `Expected type "${expected[1]}".`;
  return 'The value is not valid.';
}

/** The message without the values it echoes, or undefined when it is not a variable coercion error. */
export function redactVariableError(message: string, inner?: unknown): string | undefined {
  const prefix = PREFIX.exec(message);
  if (!prefix) return undefined;
  // graphql writes `<prefix><inspected value>[ at "<path>"]; <reason>`, and the reason is the inner error's message.
  const reason = inner instanceof Error ? inner.message : undefined;
  const head = reason !== undefined && message.endsWith(`; ${reason}`) ? message.slice(0, -(reason.length + 2)) : undefined;
  const path = head === undefined ? undefined : AT_PATH.exec(head)?.[1];
  return (
    `Variable "$${prefix[1]}" got invalid value` +
    (path ? ` at "${path}"` : '') +
    `; ${reason === undefined || head === undefined ? 'The value is not valid.' : redactReason(reason, inner)}`
  );
}

function redactResult(result: ExecutionResult): ExecutionResult | undefined {
  if (!result.errors?.some((e) => VARIABLE.test(e.message))) return undefined;
  const errors = result.errors.map((error) => {
    if (!VARIABLE.test(error.message)) return error;
    const message = redactVariableError(error.message, error.originalError) ?? error.message;
    // No originalError: nothing that still holds the value travels on, and
    // the masking step passes an error without one through unchanged (and unlogged).
    return graphqlError(message, 'BAD_USER_INPUT', {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      extensions: error.extensions,
    });
  });
  return { ...result, errors };
}

/** Rewrites variable coercion errors of queries, mutations and subscriptions, over HTTP and WebSocket alike. */
export function useVariableErrors(): Plugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in Object(result)) return;
          const redacted = redactResult(result as ExecutionResult);
          if (redacted) setResult(redacted);
        },
      };
    },
    onSubscribe() {
      return {
        onSubscribeResult({ result, setResult }) {
          if (Symbol.asyncIterator in Object(result)) return;
          const redacted = redactResult(result as ExecutionResult);
          if (redacted) setResult(redacted);
        },
      };
    },
  };
}
