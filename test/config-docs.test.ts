/** Every configuration variable is documented: in .env.example with its default, and in the README's table. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { CONFIG_VARIABLES } from '../src/env-schema.js';

const read = (path: string) => fs.readFileSync(new URL(path, import.meta.url), 'utf8');

describe('configuration docs', () => {
  it('.env.example lists every variable, and nothing else', () => {
    const listed = read('../.env.example')
      .split('\n')
      .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
      .filter(Boolean);
    expect([...listed].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('the README names every variable', () => {
    const readme = read('../README.md');
    const missing = CONFIG_VARIABLES.filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('.env.example as written is a valid configuration', () => {
    const env = Object.fromEntries(
      read('../.env.example')
        .split('\n')
        .map((line) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1]!, m[2]!]),
    );
    expect(() => loadConfig(env)).not.toThrow();
  });
});
