/**
 * Summarises V8 .cpuprofile files (from `node --cpu-prof`): self time per
 * function, and per package or source folder, top entries first.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * Activities a sample is charged to: the outermost frame of its stack that
 * matches (a database callback that runs from a microtask is charged to the
 * database, not to whoever awaited it).
 */
const ACTIVITIES: [string, (url: string, fn: string) => boolean][] = [
  ['TypeORM', (url) => url.includes('node_modules/typeorm')],
  ['provider stream (request, parse)', (url, fn) => fn === 'streamChat' || url.includes('/src/services/llm/')],
  ['fetch (undici)', (url) => /undici/.test(url)],
  ['agent loop, recorder, flusher', (url) => /\/src\/services\/runs\//.test(url)],
  ['graphql-ws + ws', (url) => /node_modules\/(graphql-ws|ws)\//.test(url)],
  ['GraphQL execution (yoga, envelop, executor)', (url) => /graphql-yoga|@envelop|@whatwg-node|@graphql-tools|node_modules\/graphql\//.test(url)],
  ['HTTP server', (url) => /node:_http_/.test(url)],
];

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function where(url: string): string {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node internals';
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

/** `skipMs`: samples in the first milliseconds of the profile (start-up, warm-up) are left out. */
export function summariseProfiles(dir: string, skipMs = 0, top = 25): string {
  if (!fs.existsSync(dir)) return '(no profiles)';
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f));
  if (files.length === 0) return '(no profiles)';
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (tsx's loader runs in another).
  const main = files.filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  const newest = (main.length > 0 ? main : files).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0]!;
  const profile = JSON.parse(fs.readFileSync(newest, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const activityOf = (id: number): string => {
    const leaf = byId.get(id)!.callFrame.functionName;
    if (leaf === '(garbage collector)') return 'garbage collector';
    let found = 'other';
    for (let cur: number | undefined = id; cur !== undefined; cur = parentOf.get(cur)) {
      const frame = byId.get(cur)!.callFrame;
      const match = ACTIVITIES.find(([, test]) => test(frame.url, frame.functionName));
      if (match) found = match[0];
    }
    return found;
  };
  const selfByActivity = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const selfByPlace = new Map<string, number>();
  let total = 0;
  let elapsed = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const dt = profile.timeDeltas[i] ?? 0;
    elapsed += dt;
    if (elapsed < skipMs * 1000) return;
    const name = node.callFrame.functionName || '(anonymous)';
    if (name === '(idle)' || name === '(program)') return;
    total += dt;
    const place = where(node.callFrame.url);
    const key = `${name} ${place}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`;
    selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + dt);
    selfByPlace.set(place, (selfByPlace.get(place) ?? 0) + dt);
    const activity = activityOf(id);
    selfByActivity.set(activity, (selfByActivity.get(activity) ?? 0) + dt);
  });
  const lines = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  return [
    `${path.basename(newest)}: ${(total / 1000).toFixed(0)} ms on CPU after the first ${(skipMs / 1000).toFixed(1)} s (idle excluded)`,
    '',
    'by activity (outermost matching frame):',
    ...lines(selfByActivity),
    '',
    'by package / source file:',
    ...lines(selfByPlace).slice(0, 15),
    '',
    'by function:',
    ...lines(selfByFunction),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${summariseProfiles(process.argv[2] ?? path.resolve(import.meta.dirname, 'profiles'), Number(process.argv[3] ?? 0))}\n`);
}
