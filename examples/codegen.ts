/**
 * GraphQL Code Generator: typed documents for the client examples, from the
 * printed schema and examples/documents/*.graphql. `npm run codegen` writes
 * examples/generated/ (committed); a test regenerates into a temporary folder
 * (CODEGEN_OUT) and fails when the committed output has drifted.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const out = process.env.CODEGEN_OUT ?? 'examples/generated/';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['examples/documents/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    [out.endsWith('/') ? out : `${out}/`]: {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        onlyOperationTypes: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
    },
  },
};

export default config;
