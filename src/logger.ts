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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'chat-run-server' } },
    destination,
  );
}
