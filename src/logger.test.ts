import { Writable } from 'node:stream';
import { QueryFailedError } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger('info', sink), text: () => lines.join('') };
}

describe('createLogger', () => {
  it('logs a failed statement without its parameters or the data PostgreSQL quotes', () => {
    const { log, text } = capture();
    const driverError = Object.assign(new Error('invalid input syntax for type json'), {
      code: '22P02',
      detail: 'Unicode low surrogate must follow a high surrogate: users private words',
      where: 'JSON data, line 1: {"delta":"users private words',
    });
    const error = new QueryFailedError('INSERT INTO run_events SELECT $1', ['users private words', 'sk-secret'], driverError);
    log.error({ err: error }, 'flush failed');
    log.error({ err: new Error('outer', { cause: error }) }, 'wrapped');
    const logged = text();
    expect(logged).not.toContain('users private words');
    expect(logged).not.toContain('sk-secret');
    expect(logged).toContain('22P02');
    expect(logged).toContain('INSERT INTO run_events');
  });

  it('redacts keys and authorization wherever they appear', () => {
    const { log, text } = capture();
    log.info({ apiKey: 'sk-live-1', provider: { apiKey: 'sk-live-2' }, headers: { authorization: 'Bearer abc' } }, 'x');
    expect(text()).not.toMatch(/sk-live|Bearer abc/);
  });
});
