/** Prints the schema to schema.graphql (npm run schema:print); a test fails when the file drifts. */
import fs from 'node:fs';
import { printSchema } from 'graphql';
import { sortedSchema } from '../src/schema/index.js';

const target = new URL('../schema.graphql', import.meta.url);
fs.writeFileSync(target, `${printSchema(sortedSchema())}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);
