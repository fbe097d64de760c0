/**
 * Executes runs in the background of this server process: a run waits for
 * a slot, gets a recorder (drained by the flusher) and a signal (cancel,
 * shutdown, time limit, or its ending stored elsewhere), and runs the agent
 * loop over its plan. Ownership across instances is the leases' job, the
 * plan the planner's, the SDK clients the client cache's.
 */
import type { Logger } from 'pino';
import type { Run } from '../../entities/index.js';
import type { ClientCache } from '../llm/client-cache.js';
import { streamChat } from '../llm/chat-stream.js';
import type { Metrics } from '../metrics.js';
import type { TitleGenerator } from '../titles/title-service.js';
import type { ToolExecutor } from '../tools/tool-executor.js';
import { runAgentLoop } from './agent-loop.js';
import type { EventBus } from './event-bus.js';
import type { Flusher } from './flusher.js';
import { EndedElsewhere, type RunEnding } from './run-ending.js';
import { INTERRUPTED, type RunLeases } from './run-leases.js';
import type { RunPlanner, RunSeed } from './run-plan.js';
import type { RunRecorder } from './run-recorder.js';
import { RunSlots } from './run-slots.js';
import { EMPTY_USAGE } from './step-view.js';

export interface RunExecutorLimits {
  maxIterations: number;
  /** Runs executing at once; more wait QUEUED. */
  runsInFlight: number;
  stallTimeoutMs: number;
  /** Wall-clock limit of one run once it executes (TIMEOUT after it). */
  runMaxDurationMs: number;
}

/** What the executor works with, wired once in services/index.ts. */
export interface RunExecutorOptions {
  bus: EventBus;
  flusher: Flusher;
  leases: RunLeases;
  planner: RunPlanner;
  clients: ClientCache;
  /** Titles a conversation after its first message, beside the run. */
  titles?: TitleGenerator;
  tools: ToolExecutor;
  limits: RunExecutorLimits;
  log: Logger;
  metrics?: Metrics;
}

interface ActiveRun {
  userId: string;
  controller: AbortController;
  recorder: RunRecorder;
  done: Promise<void>;
}

/** Why a run was aborted, so the loop's CANCELLED can become INTERRUPTED on shutdown. */
class ShutdownAbort extends Error {}

/** A run that reached RUN_MAX_DURATION_MS. */
class RunTimeLimit extends Error {}

const CANCELLED: RunEnding = { kind: 'error', code: 'CANCELLED', message: 'The run was cancelled.', usage: EMPTY_USAGE, iterations: 0 };
const FAILED: RunEnding = { kind: 'error', code: 'INTERNAL', message: 'The server failed to run this request.', usage: EMPTY_USAGE, iterations: 0 };

export class RunExecutor {
  private readonly active = new Map<string, ActiveRun>();
  private readonly slots: RunSlots;

  constructor(private readonly options: RunExecutorOptions) {
    this.slots = new RunSlots(options.limits.runsInFlight);
    // A cancel asked on another instance reaches the one executing the run.
    options.bus.onCancelRequest((runId) => void this.cancel(runId));
  }

  /** Starts the leases' heartbeat and periodic sweep; sweeps once now. */
  startBackground(): Promise<void> {
    return this.options.leases.start();
  }

  /** Ends the active runs whose owner's lease has expired (see RunLeases.sweep). */
  sweep(): Promise<number> {
    return this.options.leases.sweep();
  }

  /**
   * The start of a follow without reading storage, when it can be known
   * here: the viewer's run executes on this instance and its recorder says
   * a listener attached now gets everything after `after` (a client
   * subscribing right after sending).
   */
  localFollowStart(runId: string, userId: string, after: number): { active: true; events: [] } | undefined {
    const entry = this.active.get(runId);
    if (!entry || entry.userId !== userId || !entry.recorder.followableFrom(after)) return undefined;
    return { active: true, events: [] };
  }

  get activeCount(): number {
    return this.active.size;
  }

  /** Runs waiting for a slot (MAX_RUNS_IN_FLIGHT). */
  get queuedCount(): number {
    return this.slots.queued;
  }

  /**
   * Continues a run this instance owns from what is stored, in the
   * background: `seed` holds the rows sendMessage already has; without it
   * they are read (a run claimed with RunLeases.claim).
   */
  async continueRun(run: Run, seed?: RunSeed): Promise<boolean> {
    // With a seed nothing is awaited before the run is registered: a follow or cancel right after
    // sendMessage finds it here.
    const known = seed ?? (await this.options.planner.seedOf(run));
    if (!known || !run.assistantMessageId) return false;
    const recorder = this.options.flusher.record({
      runId: run.id,
      conversationId: run.conversationId,
      assistantMessageId: run.assistantMessageId,
      lastSeq: run.lastSeq,
    });
    const controller = new AbortController();
    const entry: ActiveRun = { userId: run.userId, controller, recorder, done: Promise.resolve() };
    this.active.set(run.id, entry);
    entry.done = this.execute(run, known, entry)
      .catch((error: unknown) => this.options.log.error({ err: error, runId: run.id }, 'run failed unexpectedly'))
      .finally(() => this.active.delete(run.id));
    return true;
  }

  /** Starts a stored QUEUED run in the background, with the rows sendMessage already holds. */
  start(run: Run, seed: RunSeed): void {
    void this.continueRun(run, seed);
  }

  /** Aborts a run executing here; resolves once its terminal event is durable (or `waitMs` passed). */
  async cancel(runId: string, waitMs = 10_000): Promise<boolean> {
    const entry = this.active.get(runId);
    if (!entry) return false;
    entry.controller.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([entry.done, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    return true;
  }

  /** Ends every local run as INTERRUPTED (graceful shutdown) and stops the timers. */
  async stop(): Promise<void> {
    this.options.leases.stop();
    for (const entry of this.active.values()) entry.controller.abort(new ShutdownAbort());
    await Promise.all([...this.active.values()].map((e) => e.done));
    await this.options.flusher.stop();
  }

  private async execute(run: Run, seed: RunSeed, { controller, recorder }: ActiveRun): Promise<void> {
    const { limits, log: rootLog, metrics } = this.options;
    const started = Date.now();
    const log = rootLog.child({ runId: run.id, userId: run.userId, conversationId: run.conversationId });
    // Whatever stops the run: a cancel, shutdown, its time limit, or its ending stored without it.
    const signal = AbortSignal.any([controller.signal, recorder.endedElsewhere]);
    let ending = CANCELLED;
    // Beyond MAX_RUNS_IN_FLIGHT a run waits here, QUEUED; a cancel while it waits ends it at once.
    // Beyond its user's fair share a run waits longer (see run-slots.ts).
    const releaseSlot = await this.slots.acquire(run.userId, signal).catch(() => undefined);
    if (releaseSlot) {
      metrics?.runStarted();
      const timer = setTimeout(() => controller.abort(new RunTimeLimit()), limits.runMaxDurationMs);
      try {
        ending = await this.loop(run, seed, recorder, signal);
      } catch (error) {
        log.error({ err: error }, 'run could not execute');
        ending = FAILED;
      } finally {
        clearTimeout(timer);
        releaseSlot();
      }
    }
    // Ended elsewhere wins over a cancel that came first: what is stored then is that ending.
    const { endedElsewhere } = recorder;
    ending = this.stoppedEnding(ending, endedElsewhere.aborted ? endedElsewhere.reason : signal.reason);
    recorder.finish(ending);
    await recorder.ended;
    const outcome = ending.kind === 'done' ? 'COMPLETED' : ending.code;
    metrics?.runEnded(outcome, (Date.now() - started) / 1000);
    metrics?.tokens(ending.usage.promptTokens, ending.usage.completionTokens);
    log.info({ outcome, iterations: ending.iterations, usage: ending.usage }, 'run ended');
  }

  /** A cancelled loop's ending, by why its signal aborted. */
  private stoppedEnding(ending: RunEnding, reason: unknown): RunEnding {
    if (ending.kind !== 'error' || ending.code !== 'CANCELLED') return ending;
    if (reason instanceof ShutdownAbort || reason instanceof EndedElsewhere) return { ...ending, ...INTERRUPTED };
    if (!(reason instanceof RunTimeLimit)) return ending;
    const seconds = Math.round(this.options.limits.runMaxDurationMs / 1000);
    return { ...ending, code: 'TIMEOUT', message: `The run reached its time limit (${seconds} s); the answer so far is kept.` };
  }

  /** The agent loop over the run's plan: its history, provider and tools. */
  private async loop(run: Run, seed: RunSeed, recorder: RunRecorder, signal: AbortSignal): Promise<RunEnding> {
    const { planner, clients, titles, tools, limits, metrics } = this.options;
    const plan = await planner.plan(run, seed);
    const { client, secrets } = clients.clientFor(plan.provider, plan.publicOnly);
    if (seed.firstLineTitle !== undefined) {
      // In the background, from the plan's provider and model: the run does not wait for it.
      const { provider, publicOnly, model } = plan;
      const { conversationId, userId } = run;
      titles?.generate({ conversationId, userId, firstLine: seed.firstLineTitle, text: seed.userMessage.text, provider, publicOnly, model });
    }
    const enabled = new Set(run.enabledTools);
    const context = { userId: plan.user.id, username: plan.user.username, permissionLevel: plan.user.permissionLevel, workspace: run.conversationId };
    return runAgentLoop({
      messages: plan.messages,
      tools: plan.tools,
      request: {
        model: plan.model,
        temperature: plan.conversation.temperature,
        maxTokens: plan.provider.maxTokens,
        extraBody: run.thinkingEnabled ? plan.provider.thinkingParams : null,
      },
      chat: (request, abort) =>
        streamChat(client, request, {
          signal: abort,
          stallTimeoutMs: limits.stallTimeoutMs,
          onFirstChunk: (ms) => metrics?.providerFirstByte(ms / 1000),
        }),
      secrets,
      runTools: (calls, abort, onResult) => tools.executeAll(calls, { enabled, context, signal: abort, onResult }),
      sink: recorder,
      signal,
      maxIterations: limits.maxIterations,
      // Kept as the run goes (with the next tick), so a run ended by the sweep after a crash keeps
      // what it used. The first one also marks the run RUNNING.
      onIteration: (iteration, usageSoFar) => recorder.noteProgress(iteration, usageSoFar),
    });
  }
}
