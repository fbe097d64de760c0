/**
 * Mints a development token from AUTH_SECRET:
 *   npm run token -- <sub> [permission_level] [--name NAME] [--expires 24h]
 */
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../src/config.js';
import { mintToken } from '../src/services/users/auth-service.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { name: { type: 'string' }, expires: { type: 'string', default: '24h' } },
});
const [sub, level = '1'] = positionals;
if (!sub || !/^\d+$/.test(level)) {
  process.stderr.write('usage: npm run token -- <sub> [permission_level] [--name NAME] [--expires 24h]\n');
  process.exit(2);
}
const config = loadConfigOrExit();
if (!config.authSecret) {
  process.stderr.write('AUTH_SECRET is not set: the server is in local mode and needs no token.\n');
  process.exit(2);
}
const token = await mintToken(config.authSecret, {
  sub,
  name: values.name,
  permissionLevel: Number(level),
  expiresIn: values.expires,
});
process.stdout.write(`${token}\n`);
