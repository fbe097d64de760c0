/**
 * `npm run bench`: the server against a hand-written relay, on one machine.
 *
 * Starts three child processes (the fake provider, the server on a fresh
 * embedded database or DATABASE_URL, the raw SSE relay), drives both with
 * the same workload from this process, and prints (and writes to
 * BENCHMARKS.md) throughput, CPU per 1,000 tokens, wire bytes per token,
 * the time to first token added over the provider, the server's write
 * statements, its memory per subscriber and its replay throughput.
 * Every child is killed with its process group when this process ends.
 *
 *   npm run bench -- [--runs 50] [--tokens 500] [--waves 3] [--pace 2]
 *                    [--paced | --unpaced] [--single 20] [--subscribers 1000]
 *                    [--subscriber-tokens 10000] [--replay-events 100000]
 *                    [--flush-ms 20] [--profile] [--no-write]
 *                    [--skip-rss] [--skip-replay] [--no-build]
 *                    [--server-root DIR] [--label TEXT]
 *
 * The server runs as `npm start` runs it (`node dist/main.js`, built first
 * unless --no-build); --server-root runs another checkout's server, from
 * its dist/main.js or, for a build before dist/ existed, through tsx, for
 * before/after rows.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { mintToken } from '../src/services/users/auth-service.js';
import {
  baselineRun,
  connectClient,
  followSteps,
  sendMessage,
  serverRun,
  type ConnectedClient,
  type RunResult,
  type ServerTarget,
} from './clients.js';
import { expandRun, openDb, runRowId, writeCounts, type WriteCounts } from './db.js';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { clkTck, killAll, rssBytes, spawnNode, stopChild, treeCpuMs, treeMemory, type Child } from './procs.js';
import { summariseProfiles } from './profile.js';
import { benchPrompt, now, replyText, type ProviderTiming } from './shared.js';

const ROOT = path.resolve(import.meta.dirname, '..');

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '50' },
    tokens: { type: 'string', default: '500' },
    waves: { type: 'string', default: '3' },
    pace: { type: 'string', default: '2' },
    paced: { type: 'boolean', default: false },
    unpaced: { type: 'boolean', default: false },
    subscribers: { type: 'string', default: '1000' },
    'subscriber-tokens': { type: 'string', default: '10000' },
    'replay-events': { type: 'string', default: '100000' },
    'flush-ms': { type: 'string', default: process.env.FLUSH_INTERVAL_MS || '20' },
    profile: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    'skip-rss': { type: 'boolean', default: false },
    'skip-replay': { type: 'boolean', default: false },
    single: { type: 'string', default: '20' },
    'no-build': { type: 'boolean', default: false },
    'server-root': { type: 'string' },
    label: { type: 'string' },
  },
});

const RUNS = Number(flags.runs);
const TOKENS = Number(flags.tokens);
const WAVES = Number(flags.waves);
const PACE_MS = Number(flags.pace);
const SUBSCRIBERS = Number(flags.subscribers);
const SUBSCRIBER_TOKENS = Number(flags['subscriber-tokens']);
const REPLAY_EVENTS = Number(flags['replay-events']);
const FLUSH_MS = Number(flags['flush-ms']);
const MODES: ('unpaced' | 'paced')[] = flags.paced ? ['paced'] : flags.unpaced ? ['unpaced'] : ['unpaced', 'paced'];
const SINGLE = Number(flags.single);
const SERVER_ROOT = flags['server-root'] ? path.resolve(flags['server-root']) : ROOT;
const DATABASE_URL = process.env.DATABASE_URL || undefined;
const COMMAND = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const rand = () => crypto.randomBytes(3).toString('hex');

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}
const median = (values: number[]) => percentile(values, 50);

// ---------------------------------------------------------------- processes

interface Server {
  proc: Child;
  target: ServerTarget;
  /** The processes whose CPU and memory are the server's: its own tree, plus the external PostgreSQL's when there is one. */
  roots: number[];
}

const AUTH_SECRET = crypto.randomBytes(32).toString('hex');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-run-bench-'));
const profileDir = path.join(ROOT, 'bench', 'profiles');

function serverEnv(providerUrl: string): Record<string, string> {
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    AUTH_SECRET,
    DATA_DIR: dataDir,
    LLM_BASE_URL: providerUrl,
    LLM_MODEL: 'fake-model',
    LLM_API_KEY: 'sk-bench-0123456789',
    DEMO_MODEL: 'false',
    LOG_LEVEL: 'warn',
    FLUSH_INTERVAL_MS: String(FLUSH_MS),
    // Abuse limits are not what is measured here: lift them where the server has them (ignored otherwise).
    SEND_RATE_PER_MINUTE: '1000000',
    MAX_ACTIVE_RUNS_PER_USER: '100000',
    MAX_RUNS_IN_FLIGHT: '100000',
    MAX_SUBSCRIPTIONS_PER_CONNECTION: '100000',
    MAX_CONNECTIONS_PER_USER: '100000',
  };
  if (DATABASE_URL) {
    env.DATABASE_URL = DATABASE_URL;
    if (process.env.ENCRYPTION_KEY) env.ENCRYPTION_KEY = process.env.ENCRYPTION_KEY;
  }
  return env;
}

async function startServer(providerUrl: string, profile = false): Promise<Server> {
  if (profile) fs.rmSync(profileDir, { recursive: true, force: true });
  // A profile of the bundle would name one file for everything: it runs the modules themselves.
  const bundled = !profile && fs.existsSync(path.join(SERVER_ROOT, 'dist', 'main.js'));
  const entry = bundled ? ['dist/main.js'] : ['--import', 'tsx', 'src/main.ts'];
  const args = profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...entry] : entry;
  const { proc, match } = await spawnNode('server', args, serverEnv(providerUrl), /GraphiQL at (http:\/\/\S+)/, SERVER_ROOT);
  const url = match[1]!;
  const roots = [proc.pid, ...(DATABASE_URL ? [await externalPostmaster(DATABASE_URL)] : [])];
  return { proc, target: { httpUrl: url, wsUrl: url.replace(/^http/, 'ws') }, roots };
}

/**
 * The postmaster of the PostgreSQL at `url` (the parent of a backend), when
 * it runs on this machine: its whole cluster's CPU and memory count as the
 * server's. That cluster should serve nothing else during the bench.
 */
async function externalPostmaster(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const stat = fs.readFileSync(`/proc/${rows[0]!.pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } finally {
    await client.end();
  }
}

/** Peak tree memory while `work` runs, sampled every 200 ms. */
async function peakMemory<T>(roots: number[], work: () => Promise<T>): Promise<{ value: T; peak: { rss: number; pss: number } }> {
  const peak = { rss: 0, pss: 0 };
  const sample = () => {
    const m = treeMemory(roots);
    peak.rss = Math.max(peak.rss, m.rss);
    peak.pss = Math.max(peak.pss, m.pss);
  };
  const timer = setInterval(sample, 200);
  try {
    const value = await work();
    sample();
    return { value, peak };
  } finally {
    clearInterval(timer);
  }
}

async function providerTimings(providerBase: string): Promise<Record<string, ProviderTiming>> {
  const response = await fetch(`${providerBase}/bench/first-bytes?clear=1`);
  return (await response.json()) as Record<string, ProviderTiming>;
}

// ---------------------------------------------------------------- workloads

interface Workload {
  side: 'server' | 'baseline';
  mode: 'unpaced' | 'paced';
  runs: number;
  okRuns: number;
  failures: string[];
  tokens: number;
  elapsedMs: number;
  cpuMs: number;
  bytes: number;
  textEvents: number;
  /** Provider's first text write to the client's first text (the server's own share). */
  addedTtft: number[];
  /** The client's clock: from sending (sendMessage / POST) to the first text at the client. */
  clientTtft: number[];
  runIds: string[];
  tokensPerSecond: number;
  cpuPer1kTokens: number;
  bytesPerToken: number;
  ttftP50: number;
  ttftP95: number;
  clientTtftP50: number;
  clientTtftP95: number;
  /** The server's sendMessage round trip, p50: the part of the time to first token before the client can subscribe. */
  sendP50: number;
  eventsPerRun: number;
}

function summarise(
  side: Workload['side'],
  mode: Workload['mode'],
  results: RunResult[],
  elapsedMs: number,
  cpu: number,
  timings: Record<string, ProviderTiming>,
): Workload {
  const expected = replyText(TOKENS);
  const ok = results.filter((r) => r.ok && r.text === expected);
  const failures = results
    .filter((r) => !(r.ok && r.text === expected))
    .map((r) => r.error ?? `text mismatch (${r.text.length} of ${expected.length} chars)`);
  const tokens = ok.length * TOKENS;
  const bytes = ok.reduce((sum, r) => sum + r.bytes, 0);
  const textEvents = ok.reduce((sum, r) => sum + r.textEvents, 0);
  const addedTtft = ok
    .map((r) => (r.firstTextAt !== undefined && timings[r.marker]?.firstTextAt !== undefined ? r.firstTextAt - timings[r.marker]!.firstTextAt! : Number.NaN))
    .filter((v) => Number.isFinite(v));
  const clientTtft = ok.filter((r) => r.firstTextAt !== undefined).map((r) => r.firstTextAt! - r.startedAt);
  return {
    side,
    mode,
    runs: results.length,
    okRuns: ok.length,
    failures,
    tokens,
    elapsedMs,
    cpuMs: cpu,
    bytes,
    textEvents,
    addedTtft,
    clientTtft,
    runIds: results.map((r) => r.runId).filter((id): id is string => !!id).map(runRowId),
    tokensPerSecond: tokens / (elapsedMs / 1000),
    cpuPer1kTokens: (cpu / tokens) * 1000,
    bytesPerToken: bytes / tokens,
    ttftP50: median(addedTtft),
    ttftP95: percentile(addedTtft, 95),
    clientTtftP50: median(clientTtft),
    clientTtftP95: percentile(clientTtft, 95),
    sendP50: median(ok.filter((r) => r.sentAt !== undefined).map((r) => r.sentAt! - r.startedAt)),
    eventsPerRun: textEvents / Math.max(1, ok.length),
  };
}

async function serverWorkload(
  server: Server,
  providerBase: string,
  tokens: string[],
  mode: Workload['mode'],
  waves: number,
  runs: number,
  tokenCount: number,
): Promise<{ results: RunResult[]; elapsedMs: number; cpu: number; timings: Record<string, ProviderTiming> }> {
  const pace = mode === 'paced' ? PACE_MS : 0;
  await providerTimings(providerBase);
  const results: RunResult[] = [];
  let elapsedMs = 0;
  const cpu0 = treeCpuMs(server.roots);
  for (let wave = 0; wave < waves; wave++) {
    const clients = await Promise.all(range(runs).map((i) => connectClient(server.target, tokens[i]!)));
    const started = now();
    const wavesResults = await Promise.all(
      range(runs).map((i) => {
        const marker = `s-${mode}-w${wave}-r${i}-${rand()}`;
        return serverRun(server.target, tokens[i]!, clients[i]!, marker, benchPrompt(marker, tokenCount, pace));
      }),
    );
    elapsedMs += now() - started;
    results.push(...wavesResults);
    await Promise.all(clients.map((c) => c.client.dispose()));
  }
  const cpu = treeCpuMs(server.roots) - cpu0;
  return { results, elapsedMs, cpu, timings: await providerTimings(providerBase) };
}

async function baselineWorkload(
  baseline: Child,
  baselineUrl: string,
  providerBase: string,
  mode: Workload['mode'],
  waves: number,
  runs: number,
  tokenCount: number,
): Promise<{ results: RunResult[]; elapsedMs: number; cpu: number; timings: Record<string, ProviderTiming> }> {
  const pace = mode === 'paced' ? PACE_MS : 0;
  await providerTimings(providerBase);
  const results: RunResult[] = [];
  let elapsedMs = 0;
  const cpu0 = treeCpuMs([baseline.pid]);
  for (let wave = 0; wave < waves; wave++) {
    const started = now();
    const waveResults = await Promise.all(
      range(runs).map((i) => {
        const marker = `b-${mode}-w${wave}-r${i}-${rand()}`;
        return baselineRun(baselineUrl, marker, benchPrompt(marker, tokenCount, pace));
      }),
    );
    elapsedMs += now() - started;
    results.push(...waveResults);
  }
  const cpu = treeCpuMs([baseline.pid]) - cpu0;
  return { results, elapsedMs, cpu, timings: await providerTimings(providerBase) };
}

// ---------------------------------------------------------------- subscribers

interface SubscriberResult {
  subscribers: number;
  complete: number;
  events: number;
  rssBefore: number;
  rssDuring: number;
  rssPeak: number;
  perSubscriber: number;
  attachMs: number;
  note?: string;
}

/** One paced run, `count` subscribers (one WebSocket each) that all receive every event; VmRSS before and during. */
async function subscriberMemory(server: Server, token: string, count: number): Promise<SubscriberResult> {
  const marker = `rss-${rand()}`;
  const pid = server.proc.pid;
  const first = await connectClient(server.target, token);
  const sent = await sendMessage(server.target, token, benchPrompt(marker, SUBSCRIBER_TOKENS, PACE_MS));
  const followers: Promise<Awaited<ReturnType<typeof followSteps>>>[] = [followSteps(first.client, sent.runId)];
  const clients: ConnectedClient[] = [first];
  await sleep(500);
  const before: number[] = [];
  for (let i = 0; i < 5; i++) {
    before.push(rssBytes(pid));
    await sleep(50);
  }
  const rssBefore = median(before);
  const attachStarted = now();
  let attached = 0;
  let ended = false;
  let allLive = false;
  let attachMs = Number.NaN;
  void followers[0]!.then(() => (ended = true));
  // VmRSS every 100 ms from here on; "during" counts only the samples taken once every subscriber is live.
  const during: number[] = [];
  const all: number[] = [];
  const sampler = setInterval(() => {
    const rss = rssBytes(pid);
    all.push(rss);
    if (allLive) during.push(rss);
  }, 100);
  const seen = new Set<number>();
  try {
    for (let batch = 1; batch < count; batch += 100) {
      const size = Math.min(100, count - batch);
      const batchClients = await Promise.all(range(size).map(() => connectClient(server.target, token)));
      for (const c of batchClients) {
        const index = clients.length;
        clients.push(c);
        followers.push(followSteps(c.client, sent.runId, 0, () => seen.add(index)));
      }
      attached += size;
    }
    // Every subscriber has caught up with the replay and is live.
    while (seen.size < attached && !ended) await sleep(20);
    allLive = !ended;
    attachMs = now() - attachStarted;
    while (!ended) await sleep(50);
  } finally {
    clearInterval(sampler);
  }
  const results = await Promise.all(followers);
  await Promise.all(clients.map((c) => c.client.dispose()));
  const expected = replyText(SUBSCRIBER_TOKENS);
  const complete = results.filter((r) => r.terminal === 'DoneStep' && !r.error && r.text === expected).length;
  const rssDuring = during.length > 0 ? median(during) : Math.max(...all);
  return {
    subscribers: count,
    complete,
    events: results[0]!.events,
    rssBefore,
    rssDuring,
    rssPeak: Math.max(...all),
    perSubscriber: (rssDuring - rssBefore) / Math.max(1, count - 1),
    attachMs,
    note: during.length < 5 ? `only ${during.length} samples once all were live: the run ended soon after (raise --subscriber-tokens); peak used` : undefined,
  };
}

// ---------------------------------------------------------------- one at a time

/** Client-clock time to first token with nothing else running: `count` short paced runs per side, alternating. */
async function oneAtATime(server: Server, baselineUrl: string, providerBase: string, token: string, count: number): Promise<{ server: number[]; baseline: number[] }> {
  const client = await connectClient(server.target, token);
  const result = { server: [] as number[], baseline: [] as number[] };
  // Where a lone run's time to first token goes: the send's round trip, until the provider is asked, and after it answers.
  const phases = { send: [] as number[], asked: [] as number[], delivered: [] as number[] };
  try {
    await providerTimings(providerBase);
    for (let i = 0; i < count; i++) {
      const marker = `one-s-${i}-${rand()}`;
      const s = await serverRun(server.target, token, client, marker, benchPrompt(marker, 20, PACE_MS));
      const b = await baselineRun(baselineUrl, `one-b-${i}-${rand()}`, benchPrompt(`one-b-${i}`, 20, PACE_MS));
      if (s.ok && s.firstTextAt !== undefined) result.server.push(s.firstTextAt - s.startedAt);
      if (b.ok && b.firstTextAt !== undefined) result.baseline.push(b.firstTextAt - b.startedAt);
      const timing = (await providerTimings(providerBase))[marker];
      if (s.ok && timing?.firstTextAt !== undefined && s.firstTextAt !== undefined && s.sentAt !== undefined) {
        phases.send.push(s.sentAt - s.startedAt);
        phases.asked.push(timing.firstByteAt - s.startedAt);
        phases.delivered.push(s.firstTextAt - timing.firstTextAt);
      }
      await sleep(50);
    }
  } finally {
    await client.client.dispose();
  }
  log(`  server p50: sendMessage answered ${fmt(median(phases.send))} ms, provider asked ${fmt(median(phases.asked))} ms after the send, its first token at the client ${fmt(median(phases.delivered))} ms after it wrote it`);
  return result;
}

// ---------------------------------------------------------------- main

interface Report {
  date: string;
  workloads: Workload[];
  writes: Record<string, WriteCounts>;
  subscribers?: SubscriberResult;
  replay?: { events: number; ms: number; perSecond: number; bytes: number; ok: boolean; note?: string };
  database: string;
  profiles?: string;
  /** Tree memory a few seconds after the server is ready, before any run. */
  idle?: { rss: number; pss: number; processes: number };
  /** Peak tree memory during the measured waves. */
  loaded?: { rss: number; pss: number };
  /** Client-clock time to first token of runs made one at a time (paced), per side. */
  single?: { server: number[]; baseline: number[] };
}

async function main(): Promise<Report> {
  const database =
    flags.label ?? (DATABASE_URL ? 'PostgreSQL (DATABASE_URL; its whole cluster counted)' : SERVER_ROOT === ROOT ? 'embedded PostgreSQL (temp DATA_DIR)' : `the server of ${SERVER_ROOT} (temp DATA_DIR)`);
  log(`chat-run-server bench: ${RUNS} runs x ${TOKENS} tokens, ${WAVES} waves, pace ${PACE_MS} ms, FLUSH_INTERVAL_MS=${FLUSH_MS}, ${database}`);
  if (DATABASE_URL && !process.env.ENCRYPTION_KEY) throw new Error('DATABASE_URL needs ENCRYPTION_KEY too (the server refuses to start without it)');
  const report: Report = { date: new Date().toISOString(), workloads: [], writes: {}, database };
  if (SERVER_ROOT === ROOT && !flags['no-build']) {
    log('building the server (npm run build) ...');
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  }

  const { proc: provider, match: providerPort } = await spawnNode('provider', ['--import', 'tsx', 'bench/provider.ts'], {}, /LISTENING (\d+)/, ROOT);
  const providerBase = `http://127.0.0.1:${providerPort[1]}`;
  const { proc: baseline, match: baselinePort } = await spawnNode(
    'baseline',
    ['--import', 'tsx', 'bench/baseline.ts'],
    { UPSTREAM_URL: `${providerBase}/v1` },
    /LISTENING (\d+)/,
    ROOT,
  );
  const baselineUrl = `http://127.0.0.1:${baselinePort[1]}/chat`;
  const serverSpawnedAt = now();
  let server = await startServer(`${providerBase}/v1`, flags.profile);
  let measureFrom = 0;
  log(`provider pid ${provider.pid}, baseline pid ${baseline.pid}, server pid ${server.proc.pid} (${server.target.httpUrl})`);
  await sleep(3000);
  report.idle = treeMemory(server.roots);
  log(`idle: ${report.idle.processes} processes, RSS ${mib(report.idle.rss)} MiB, PSS ${mib(report.idle.pss)} MiB`);

  const tokens = await Promise.all(range(Math.max(RUNS, 1)).map((i) => mintToken(AUTH_SECRET, { sub: `bench-user-${i}`, expiresIn: '2h' })));

  // Warm-up, not measured: JIT, tsx compilation, first user rows, connection pools.
  log('warm-up ...');
  for (const mode of ['unpaced', 'paced'] as const) {
    await serverWorkload(server, providerBase, tokens, mode, 1, RUNS, 50);
    await baselineWorkload(baseline, baselineUrl, providerBase, mode, 1, RUNS, 50);
  }

  measureFrom = now() - serverSpawnedAt;
  report.loaded = { rss: 0, pss: 0 };
  for (const mode of MODES) {
    log(`${mode}: server ...`);
    const { value: s, peak } = await peakMemory(server.roots, () => serverWorkload(server, providerBase, tokens, mode, WAVES, RUNS, TOKENS));
    report.loaded = { rss: Math.max(report.loaded.rss, peak.rss), pss: Math.max(report.loaded.pss, peak.pss) };
    report.workloads.push(summarise('server', mode, s.results, s.elapsedMs, s.cpu, s.timings));
    log(`${mode}: baseline ...`);
    const b = await baselineWorkload(baseline, baselineUrl, providerBase, mode, WAVES, RUNS, TOKENS);
    report.workloads.push(summarise('baseline', mode, b.results, b.elapsedMs, b.cpu, b.timings));
    for (const w of report.workloads.slice(-2)) {
      log(
        `  ${w.side.padEnd(8)} ${w.okRuns}/${w.runs} ok  ${w.tokensPerSecond.toFixed(0)} tok/s  ${w.cpuPer1kTokens.toFixed(1)} CPU ms/1k tok  ` +
          `${w.bytesPerToken.toFixed(1)} B/tok  TTFT p50 ${w.clientTtftP50.toFixed(1)} p95 ${w.clientTtftP95.toFixed(1)} ms (send p50 ${fmt(w.sendP50)}, provider->client p50 ${w.ttftP50.toFixed(1)})  ${w.eventsPerRun.toFixed(1)} text events/run`,
      );
      if (w.failures.length > 0) log(`    failures: ${[...new Set(w.failures)].slice(0, 3).join(' | ')}`);
    }
  }

  if (SINGLE > 0) {
    log(`one run at a time: ${SINGLE} runs per side, paced ...`);
    report.single = await oneAtATime(server, baselineUrl, providerBase, tokens[0]!, SINGLE);
    log(`  TTFT p50 server ${fmt(median(report.single.server))} ms, relay ${fmt(median(report.single.baseline))} ms`);
  }

  if (!flags['skip-rss'] && SUBSCRIBERS > 1) {
    log(`memory: ${SUBSCRIBERS} subscribers on one run ...`);
    report.subscribers = await subscriberMemory(server, tokens[0]!, SUBSCRIBERS);
    const m = report.subscribers;
    log(`  attach ${m.attachMs.toFixed(0)} ms${m.note ? ` (${m.note})` : ''}; RSS ${(m.rssBefore / 2 ** 20).toFixed(1)} -> ${(m.rssDuring / 2 ** 20).toFixed(1)} MiB (peak ${(m.rssPeak / 2 ** 20).toFixed(1)}), ${(m.perSubscriber / 1024).toFixed(1)} KiB per subscriber, ${m.complete}/${m.subscribers} got every event`);
  }

  let replaySeed: string | undefined;
  if (!flags['skip-replay']) {
    const client = await connectClient(server.target, tokens[0]!);
    const marker = `replay-${rand()}`;
    const sent = await sendMessage(server.target, tokens[0]!, benchPrompt(marker, 1, 0));
    await followSteps(client.client, sent.runId);
    await client.client.dispose();
    replaySeed = sent.runId;
  }

  // The database: what the flusher wrote, read once the server (and its embedded PostgreSQL) stopped.
  await stopChild(server.proc);
  if (DATABASE_URL || SERVER_ROOT === ROOT) {
    const db = await openDb({ databaseUrl: DATABASE_URL, dataDir });
    try {
      for (const w of report.workloads.filter((x) => x.side === 'server')) report.writes[w.mode] = await writeCounts(db, w.runIds);
      if (replaySeed) await expandRun(db, runRowId(replaySeed), REPLAY_EVENTS);
    } finally {
      await db.close();
    }
  } else {
    log("another checkout's embedded database is not read: no write counts, no replay");
    replaySeed = undefined;
  }

  if (replaySeed) {
    log(`replay: one subscriber reads a finished ${REPLAY_EVENTS}-event run from 0 ...`);
    server = await startServer(`${providerBase}/v1`, false);
    const client = await connectClient(server.target, tokens[0]!);
    const bytes0 = client.socket()?.bytesRead ?? 0;
    const started = now();
    const result = await followSteps(client.client, replaySeed);
    const ms = now() - started;
    const bytes = (client.socket()?.bytesRead ?? 0) - bytes0;
    await client.client.dispose();
    report.replay = {
      events: result.events,
      ms,
      perSecond: result.events / (ms / 1000),
      bytes,
      ok: result.terminal === 'DoneStep' && result.events === REPLAY_EVENTS,
      note: result.error,
    };
    log(`  ${result.events} events in ${ms.toFixed(0)} ms: ${report.replay.perSecond.toFixed(0)} events/s${result.error ? ` (${result.error})` : ''}`);
    await stopChild(server.proc);
  }
  await stopChild(baseline);
  await stopChild(provider);
  if (flags.profile) report.profiles = summariseProfiles(profileDir, measureFrom);
  return report;
}

// ---------------------------------------------------------------- report

const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const ratio = (a: number, b: number) => (Number.isFinite(a / b) && b !== 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
const mib = (bytes: number) => fmt(bytes / 2 ** 20, 0);

/** The targets, on 50 concurrent runs beside the relay in the same run. */
const TARGET = { pacedThroughput: 0.9, unpacedThroughput: 0.5, pacedCpu: 1.5, addedTtftMs: 40 };

/**
 * One row of the before/after table: paced and unpaced throughput and CPU
 * ratios, added time to first token at 50 and at 1 concurrent (client clock,
 * server minus relay), idle and loaded memory of the server's tree.
 */
function summaryRow(report: Report): string {
  const side = (mode: Workload['mode'], which: Workload['side']) => report.workloads.find((w) => w.mode === mode && w.side === which);
  const pair = (mode: Workload['mode']) => ({ s: side(mode, 'server'), b: side(mode, 'baseline') });
  const paced = pair('paced');
  const unpaced = pair('unpaced');
  const through = (p: typeof paced) => (p.s && p.b ? ratio(p.s.tokensPerSecond, p.b.tokensPerSecond) : 'n/a');
  const cpu = (p: typeof paced) => (p.s && p.b ? ratio(p.s.cpuPer1kTokens, p.b.cpuPer1kTokens) : 'n/a');
  const added = (p: typeof paced) => (p.s && p.b ? `${fmt(p.s.clientTtftP50 - p.b.clientTtftP50)} ms` : 'n/a');
  const single = report.single ? `${fmt(median(report.single.server) - median(report.single.baseline))} ms` : 'n/a';
  const memory = (m?: { rss: number; pss: number }) => (m ? `${mib(m.rss)} / ${mib(m.pss)}` : 'n/a');
  return `| ${report.database} | ${through(paced)} | ${through(unpaced)} | ${cpu(paced)} / ${cpu(unpaced)} | ${added(paced)} / ${added(unpaced)} | ${single} | ${memory(report.idle)} | ${memory(report.loaded)} |`;
}

const SUMMARY_HEADER = [
  '| Database | Paced throughput | Unpaced throughput | CPU, paced / unpaced | Added TTFT p50 at 50, paced / unpaced | Added TTFT p50 at 1 | Idle RSS / PSS (MiB) | Loaded RSS / PSS (MiB) |',
  '|---|---|---|---|---|---|---|---|',
].join('\n');

function table(report: Report): string {
  const rows: string[] = ['| Metric | Server | Baseline | Ratio | Target | Met? |', '|---|---|---|---|---|---|'];
  const row = (metric: string, server: string, baseline: string, r: string, target: string, met: boolean | undefined) =>
    rows.push(`| ${metric} | ${server} | ${baseline} | ${r} | ${target} | ${met === undefined ? '-' : met ? 'yes' : '**no**'} |`);
  for (const mode of MODES) {
    const s = report.workloads.find((w) => w.side === 'server' && w.mode === mode);
    const b = report.workloads.find((w) => w.side === 'baseline' && w.mode === mode);
    if (!s || !b) continue;
    const label = mode === 'paced' ? `paced (${PACE_MS} ms/token)` : 'unpaced';
    const throughputTarget = mode === 'paced' ? TARGET.pacedThroughput : TARGET.unpacedThroughput;
    const throughput = s.tokensPerSecond / b.tokensPerSecond;
    const cpu = s.cpuPer1kTokens / b.cpuPer1kTokens;
    const addedTtft = s.clientTtftP50 - b.clientTtftP50;
    row(`[${label}] tokens delivered / s`, fmt(s.tokensPerSecond, 0), fmt(b.tokensPerSecond, 0), ratio(s.tokensPerSecond, b.tokensPerSecond), `>= ${throughputTarget}x`, throughput >= throughputTarget);
    row(`[${label}] CPU ms / 1,000 tokens (process tree)`, fmt(s.cpuPer1kTokens), fmt(b.cpuPer1kTokens), ratio(s.cpuPer1kTokens, b.cpuPer1kTokens), mode === 'paced' ? `<= ${TARGET.pacedCpu}x` : '-', mode === 'paced' ? cpu <= TARGET.pacedCpu : undefined);
    row(`[${label}] wire bytes / token`, fmt(s.bytesPerToken), fmt(b.bytesPerToken), ratio(s.bytesPerToken, b.bytesPerToken), '<= 2x', s.bytesPerToken / b.bytesPerToken <= 2);
    row(`[${label}] time to first token p50, client clock (ms)`, fmt(s.clientTtftP50), fmt(b.clientTtftP50), ratio(s.clientTtftP50, b.clientTtftP50), '-', undefined);
    row(`[${label}] time to first token p95, client clock (ms)`, fmt(s.clientTtftP95), fmt(b.clientTtftP95), ratio(s.clientTtftP95, b.clientTtftP95), '-', undefined);
    row(`[${label}] added TTFT p50: server - relay (ms)`, fmt(addedTtft), '-', '-', mode === 'paced' ? `<= ${TARGET.addedTtftMs} ms` : '-', mode === 'paced' ? addedTtft <= TARGET.addedTtftMs : undefined);
    row(`[${label}] provider's first token to client's, p50 / p95 (ms)`, `${fmt(s.ttftP50)} / ${fmt(s.ttftP95)}`, `${fmt(b.ttftP50)} / ${fmt(b.ttftP95)}`, '-', '-', undefined);
    row(`[${label}] text messages / run`, fmt(s.eventsPerRun), fmt(b.eventsPerRun), ratio(s.eventsPerRun, b.eventsPerRun), '-', undefined);
    const writes = report.writes[mode];
    if (writes) {
      const seconds = s.elapsedMs / 1000;
      row(`[${label}] run_events INSERTs / s`, fmt(writes.inserts / seconds), '-', '-', `<= 1000/FLUSH_INTERVAL_MS = ${fmt(1000 / FLUSH_MS, 0)}`, writes.inserts / seconds <= 1000 / FLUSH_MS + 1);
      row(`[${label}] run_events INSERTs / run`, fmt(writes.inserts / writes.runs, 2), '-', '-', '-', undefined);
      row(`[${label}] stored events / run`, fmt(writes.events / writes.runs), '-', '-', '-', undefined);
    }
    if (s.okRuns < s.runs || b.okRuns < b.runs) row(`[${label}] failed runs`, String(s.runs - s.okRuns), String(b.runs - b.okRuns), '-', '0', s.okRuns === s.runs && b.okRuns === b.runs);
  }
  if (report.single) {
    const server = median(report.single.server);
    const relay = median(report.single.baseline);
    row(`[one run at a time, paced] time to first token p50, client clock (ms)`, fmt(server), fmt(relay), ratio(server, relay), '-', undefined);
    row(`[one run at a time, paced] added TTFT p50: server - relay (ms)`, fmt(server - relay), '-', '-', `<= ${TARGET.addedTtftMs} ms`, server - relay <= TARGET.addedTtftMs);
  }
  if (report.idle) row(`server tree memory idle (${report.idle.processes} processes): RSS / PSS (MiB)`, `${mib(report.idle.rss)} / ${mib(report.idle.pss)}`, '-', '-', '-', undefined);
  if (report.loaded) row('server tree memory during the waves, peak: RSS / PSS (MiB)', `${mib(report.loaded.rss)} / ${mib(report.loaded.pss)}`, '-', '-', '-', undefined);
  const m = report.subscribers;
  if (m) {
    row(`RSS per subscriber, ${m.subscribers} subscribers on one run (KiB)`, fmt(m.perSubscriber / 1024), '-', '-', '-', undefined);
    row('server RSS before / during / peak (MiB)', `${fmt(m.rssBefore / 2 ** 20)} / ${fmt(m.rssDuring / 2 ** 20)} / ${fmt(m.rssPeak / 2 ** 20)}`, '-', '-', '-', undefined);
    row('subscribers that got every event', `${m.complete} / ${m.subscribers}`, '-', '-', 'all', m.complete === m.subscribers);
  }
  const r = report.replay;
  if (r) {
    row(`replay of a finished ${REPLAY_EVENTS.toLocaleString('en')}-event run, one subscriber (events/s)`, `${fmt(r.perSecond, 0)}${r.ok ? '' : ' (incomplete)'}`, '-', '-', '-', undefined);
    row('replay wire bytes / event', fmt(r.bytes / Math.max(1, r.events)), '-', '-', '-', undefined);
  }
  return rows.join('\n');
}

function markdown(report: Report): string {
  const cpus = os.cpus();
  return [
    `Generated by \`${COMMAND}\` on ${report.date}.`,
    '',
    `Machine: ${cpus.length} cores (${cpus[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}, CLK_TCK ${clkTck()}. ` +
      `Database: ${report.database}. FLUSH_INTERVAL_MS=${FLUSH_MS}. Workload: ${RUNS} concurrent runs x ${TOKENS} tokens, ${WAVES} waves per side and mode ` +
      `(after one unmeasured warm-up wave); paced = one token every ${PACE_MS} ms.`,
    '',
    table(report),
    '',
    'As a row of the before/after table:',
    '',
    SUMMARY_HEADER,
    summaryRow(report),
    ...(report.profiles ? ['', 'Server CPU profile (self time, top functions):', '', '```', report.profiles, '```'] : []),
  ].join('\n');
}

const BEGIN = '<!-- bench:begin (generated by npm run bench; edit outside these markers) -->';
const END = '<!-- bench:end -->';

function writeBenchmarks(report: Report): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const generated = `${BEGIN}\n${markdown(report)}\n${END}`;
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  const start = existing.indexOf(BEGIN);
  const end = existing.indexOf(END);
  const next = start >= 0 && end > start ? existing.slice(0, start) + generated + existing.slice(end + END.length) : `${existing}\n${generated}\n`;
  fs.writeFileSync(file, next);
}

const started = Date.now();
try {
  const report = await main();
  log('');
  log(table(report));
  log(`\n${SUMMARY_HEADER}\n${summaryRow(report)}`);
  if (report.profiles) log(`\n${report.profiles}`);
  if (!flags['no-write']) {
    writeBenchmarks(report);
    log('\nwritten to BENCHMARKS.md');
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} catch (error) {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
} finally {
  killAll();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
process.exit();
