/**
 * What a person reads when the server is up: where the chat page and
 * GraphiQL are, which database and which provider it uses, and whether it
 * runs in local mode. Plain text for the terminal; the JSON "server ready"
 * log line carries the same facts for machines.
 */
import type { Config } from './config.js';
import { DEMO_MODEL_NAME } from './services/llm/demo-model.js';
import { withoutCredentials } from './services/providers/provider-keys.js';
import { databaseTarget } from './start-errors.js';

/** The embedded PostgreSQL, when the server runs one. */
export interface EmbeddedInfo {
  clusterDir: string;
  /** "as user chat-run-postgres" and the like, when the server is root. */
  runningAs?: string;
}

/** The banner's lines for a server listening at `graphqlUrl` (http://host:port/graphql). */
export function readyBanner(config: Config, graphqlUrl: string, embedded?: EmbeddedInfo): string[] {
  const origin = new URL(graphqlUrl).origin;
  const lines = [
    'chat-run-server is ready',
    `  Chat page:  ${origin}/`,
    config.graphiql ? `  GraphiQL at ${graphqlUrl}` : `  GraphQL at ${graphqlUrl} (GraphiQL is off)`,
    `  Database:   ${config.databaseUrl ? `PostgreSQL at ${databaseTarget(config.databaseUrl)} (DATABASE_URL)` : `embedded PostgreSQL, in ${embedded?.clusterDir ?? config.dataDir} (DATA_DIR)`}`,
    `  Provider:   ${providerInUse(config)}`,
  ];
  // PostgreSQL refuses root: say who runs it instead.
  if (embedded?.runningAs) lines.push(`The embedded PostgreSQL runs ${embedded.runningAs}, since this server runs as root.`);
  if (config.localMode) {
    lines.push('Single-user local mode: no AUTH_SECRET, so every request is the local admin; listening on loopback only.');
  }
  return lines;
}

function providerInUse(config: Config): string {
  const { baseUrl, model } = config.llm;
  if (baseUrl && model) {
    return `${model} at ${withoutCredentials(baseUrl)} (LLM_*)${config.demoModel ? '; the demo model is offered too' : ''}`;
  }
  if (config.demoModel) return `the built-in demo model "${DEMO_MODEL_NAME}" (set LLM_API_KEY and LLM_MODEL for a real one)`;
  return 'none configured (LLM_* unset, DEMO_MODEL=false): users add their own providers';
}
