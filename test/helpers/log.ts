/**
 * A logger whose lines a test can read: what the server would have written
 * to its log, one parsed JSON object per line.
 */
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/logger.js';

export interface CapturedLog {
  logger: Logger;
  /** Every line so far, raw. */
  lines: string[];
  /** Lines at `level` (pino's number: 40 warn, 50 error) or above. */
  atLeast(level: number): Record<string, unknown>[];
}

export function captureLog(level = 'info'): CapturedLog {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return {
    logger: createLogger(level, sink),
    lines,
    atLeast: (min) =>
      lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => Number(entry.level) >= min),
  };
}
