/**
 * The printed schema follows the code, and the API keeps every promise of
 * the public contract (no breaking change against it).
 */
import fs from 'node:fs';
import { buildSchema as buildSdl, findBreakingChanges, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { sortedSchema } from '../src/schema/index.js';

const read = (path: string) => fs.readFileSync(new URL(path, import.meta.url), 'utf8');

describe('schema', () => {
  it('schema.graphql is up to date (run npm run schema:print)', () => {
    expect(read('../schema.graphql')).toBe(`${printSchema(sortedSchema())}\n`);
  });

  it('is a superset of the API contract', () => {
    const contract = buildSdl(read('../contract/api-contract.graphql'));
    const changes = findBreakingChanges(contract, sortedSchema());
    expect(changes).toEqual([]);
  });

  it('keeps its copy of the contract equal to the shared one, where that is present', () => {
    const shared = new URL('../../shared/api-contract.graphql', import.meta.url);
    if (!fs.existsSync(shared)) return; // a plain clone has only the committed copy
    expect(read('../contract/api-contract.graphql')).toBe(fs.readFileSync(shared, 'utf8'));
  });
});
