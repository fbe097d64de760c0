/**
 * The one pino logger. API keys, tokens and authorization headers are
 * redacted wherever they appear in a logged object; message text and tool
 * output are logged at debug only, by the code that logs them.
 */
import pino, { type Logger } from 'pino';

export const REDACTED_PATHS = [
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'connectionParams.authorization',
  'token',
  '*.token',
  'apiKeyCiphertext',
  '*.apiKeyCiphertext',
];

/**
 * A failed statement carries its parameters (message text, tool output)
 * and PostgreSQL's DETAIL and WHERE, which quote the data: none of them may
 * reach a log line. The SQL, the SQLSTATE and the message stay.
 */
const DATA_FIELDS = ['parameters', 'detail', 'where', 'driverError', 'hint', 'internalQuery'];

function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  for (const field of DATA_FIELDS) delete serialized[field];
  if (serialized.cause instanceof Object) serialized.cause = serializeError((error as { cause?: unknown }).cause);
  return serialized;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { service: 'chat-run-server' },
      serializers: { err: serializeError },
    },
    destination,
  );
}
