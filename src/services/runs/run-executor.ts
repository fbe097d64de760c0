/**
 * Executes runs in the background of this server process. Each run gets a
 * recorder (drained by the flusher), an abort controller (cancel), and the
 * agent loop over its history, provider and tools. The instance records its
 * id on the runs it executes and renews a heartbeat on them; a sweep on any
 * instance marks INTERRUPTED the active runs whose owner's heartbeat is
 * older than the lease.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import type OpenAI from 'openai';
import { Message, Provider, type Conversation, type Run } from '../../entities/index.js';
import { streamChat } from '../llm/chat-stream.js';
import { createOpenAIClient, providerSecrets } from '../llm/openai-client.js';
import type { Metrics } from '../metrics.js';
import type { ProviderService } from '../providers/provider-service.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { ToolExecutor } from '../tools/tool-executor.js';
import type { ToolRegistry } from '../tools/tool-registry.js';
import { runAgentLoop } from './agent-loop.js';
import type { EventBus } from './event-bus.js';
import type { Flusher } from './flusher.js';
import { buildHistory } from './history.js';
import { RunRecorder, type RunEnding } from './run-recorder.js';
import { RunSlots } from './run-slots.js';
import type { StoredEndings } from './stored-ending.js';
import { EMPTY_USAGE } from './step-view.js';

export interface RunExecutorOptions {
  maxIterations: number;
  /** Runs executing at once; more wait QUEUED. */
  runsInFlight: number;
  llmMaxRetries: number;
  stallTimeoutMs: number;
  runLeaseMs: number;
  /** Wall-clock limit of one run once it executes (TIMEOUT after it). */
  runMaxDurationMs: number;
}

/** What the executor works with, wired once in services/index.ts. */
export interface RunExecutorDeps {
  dataSource: DataSource;
  bus: EventBus;
  flusher: Flusher;
  endings: StoredEndings;
  providers: ProviderService;
  secrets: SecretBox;
  registry: ToolRegistry;
  tools: ToolExecutor;
  log: Logger;
  metrics?: Metrics;
}

/** The rows sendMessage wrote or read for a run, handed over so the run does not read them again. */
export interface RunSeed {
  conversation: Conversation;
  userMessage: Message;
  /** Whose tools run (permission level as of the send). */
  user: { id: string; username: string; permissionLevel: number };
  /** The send created the conversation: there is no history to read. */
  newConversation?: boolean;
}

interface ActiveRun {
  userId: string;
  controller: AbortController;
  recorder?: RunRecorder;
  done: Promise<void>;
}

/** SDK clients kept (oldest dropped first). */
const MAX_CACHED_CLIENTS = 256;

/** A provider's SDK client and the secrets its errors are scrubbed of. */
interface ProviderClient {
  client: OpenAI;
  secrets: string[];
}

/** Why a run was aborted, so the loop's CANCELLED can become INTERRUPTED on shutdown. */
class ShutdownAbort extends Error {}

/** A run stopped because its ending was stored without it. */
class EndedElsewhere extends Error {}

/** A run that reached RUN_MAX_DURATION_MS. */
class RunTimeLimit extends Error {}

const INTERRUPTED = { code: 'INTERRUPTED', message: 'The server stopped while the run was active.' } as const;

export class RunExecutor {
  readonly instanceId = randomUUID();
  private readonly active = new Map<string, ActiveRun>();
  private readonly clients = new Map<string, ProviderClient>();
  private readonly slots: RunSlots;
  private heartbeatTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;

  private readonly dataSource: DataSource;
  private readonly bus: EventBus;
  private readonly flusher: Flusher;
  private readonly endings: StoredEndings;
  private readonly providers: ProviderService;
  private readonly secrets: SecretBox;
  private readonly registry: ToolRegistry;
  private readonly tools: ToolExecutor;
  private readonly log: Logger;
  private readonly metrics?: Metrics;

  constructor(
    deps: RunExecutorDeps,
    private readonly options: RunExecutorOptions,
  ) {
    ({
      dataSource: this.dataSource,
      bus: this.bus,
      flusher: this.flusher,
      endings: this.endings,
      providers: this.providers,
      secrets: this.secrets,
      registry: this.registry,
      tools: this.tools,
      log: this.log,
      metrics: this.metrics,
    } = deps);
    this.slots = new RunSlots(options.runsInFlight);
    // A cancel asked on another instance reaches the one executing the run.
    this.bus.onCancelRequest((runId) => void this.cancel(runId));
  }

  /** Starts the heartbeat and the periodic sweep; sweeps once now. */
  async startBackground(): Promise<void> {
    await this.sweep();
    const beat = Math.max(100, Math.min(5_000, Math.floor(this.options.runLeaseMs / 3)));
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), beat);
    this.sweepTimer = setInterval(() => void this.sweep(), Math.max(beat, Math.floor(this.options.runLeaseMs / 2)));
  }

  /**
   * Stops a run executing here whose ending was stored without it (another
   * instance's sweep, or the flusher after the database refused its output):
   * its recorder records nothing more.
   */
  abandon(runId: string): void {
    this.active.get(runId)?.controller.abort(new EndedElsewhere());
  }

  /**
   * The start of a follow without reading storage, when it can be known
   * here: the viewer's run executes on this instance, has not ended, no
   * write is under way and nothing after `after` has been published (a
   * client subscribing right after sending), so everything it needs will
   * reach a listener attached now.
   */
  localFollowStart(runId: string, userId: string, after: number): { active: true; events: [] } | undefined {
    const entry = this.active.get(runId);
    const recorder = entry?.recorder;
    if (!recorder || entry.userId !== userId || recorder.finished) return undefined;
    // A write under way may hold events a storage read already showed someone: then read.
    if (recorder.writing || recorder.publishedSeq > after) return undefined;
    return { active: true, events: [] };
  }

  get activeCount(): number {
    return this.active.size;
  }

  /** Runs waiting for a slot (MAX_RUNS_IN_FLIGHT). */
  get queuedCount(): number {
    return this.slots.queued;
  }

  /** Starts a stored QUEUED run in the background, with the rows sendMessage already holds. */
  start(run: Run, seed: RunSeed): void {
    const controller = new AbortController();
    const entry: ActiveRun = { userId: run.userId, controller, done: Promise.resolve() };
    entry.done = this.execute(run, seed, entry)
      .catch((error: unknown) => this.log.error({ err: error, runId: run.id }, 'run failed unexpectedly'))
      .finally(() => this.active.delete(run.id));
    this.active.set(run.id, entry);
  }

  /** Aborts a run executing here; resolves once its terminal event is durable. */
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
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sweepTimer);
    for (const entry of this.active.values()) entry.controller.abort(new ShutdownAbort());
    await Promise.all([...this.active.values()].map((e) => e.done));
    await this.flusher.stop();
  }

  private async execute(run: Run, seed: RunSeed, entry: ActiveRun): Promise<void> {
    const started = Date.now();
    const log = this.log.child({ runId: run.id, userId: run.userId, conversationId: run.conversationId });
    const recorder = new RunRecorder(run.id, run.conversationId, run.assistantMessageId!, run.lastSeq);
    entry.recorder = recorder;
    this.flusher.add(recorder);
    const { signal } = entry.controller;
    let ending: RunEnding;
    // Beyond MAX_RUNS_IN_FLIGHT a run waits here, QUEUED; a cancel while it waits ends it at once.
    // Beyond its user's fair share a run waits longer (see run-slots.ts).
    const releaseSlot = await this.slots.acquire(run.userId, signal).catch(() => undefined);
    if (!releaseSlot) {
      ending = { kind: 'error', code: 'CANCELLED', message: 'The run was cancelled.', usage: EMPTY_USAGE, iterations: 0 };
    } else {
      this.metrics?.runStarted();
      const limit = this.options.runMaxDurationMs;
      const timer = setTimeout(() => entry.controller.abort(new RunTimeLimit()), limit);
      try {
        ending = await this.loop(run, seed, recorder, signal);
      } catch (error) {
        log.error({ err: error }, 'run could not execute');
        ending = { kind: 'error', code: 'INTERNAL', message: 'The server failed to run this request.', usage: EMPTY_USAGE, iterations: 0 };
      } finally {
        clearTimeout(timer);
        releaseSlot();
      }
    }
    if (ending.kind === 'error' && ending.code === 'CANCELLED') {
      if (signal.reason instanceof ShutdownAbort || recorder.abandoned) ending = { ...ending, ...INTERRUPTED };
      else if (signal.reason instanceof RunTimeLimit) {
        const seconds = Math.round(this.options.runMaxDurationMs / 1000);
        ending = { ...ending, code: 'TIMEOUT', message: `The run reached its time limit (${seconds} s); the answer so far is kept.` };
      }
    }
    recorder.finish(ending);
    await recorder.ended;
    const outcome = ending.kind === 'done' ? 'COMPLETED' : ending.code;
    this.metrics?.runEnded(outcome, (Date.now() - started) / 1000);
    this.metrics?.tokens(ending.usage.promptTokens, ending.usage.completionTokens);
    log.info({ outcome, iterations: ending.iterations, usage: ending.usage }, 'run ended');
  }

  /** The agent loop over the run's plan: its history, provider and tools. */
  private async loop(run: Run, seed: RunSeed, recorder: RunRecorder, signal: AbortSignal): Promise<RunEnding> {
    const plan = await this.plan(run, seed);
    const { client, secrets } = this.clientFor(plan.provider, this.providers.publicOnly(plan.provider, plan.user));
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
          stallTimeoutMs: this.options.stallTimeoutMs,
          onFirstChunk: (ms) => this.metrics?.providerFirstByte(ms / 1000),
        }),
      secrets,
      runTools: (calls, abort, onResult) =>
        this.tools.executeAll(calls, {
          enabled: new Set(run.enabledTools),
          context: {
            userId: plan.user.id,
            username: plan.user.username,
            permissionLevel: plan.user.permissionLevel,
            workspace: run.conversationId,
          },
          signal: abort,
          onResult,
        }),
      sink: recorder,
      signal,
      maxIterations: this.options.maxIterations,
      // Kept as the run goes (with the next tick), so a run ended by the sweep after a crash keeps
      // what it used. The first one also marks the run RUNNING.
      onIteration: (iteration, usageSoFar) => recorder.noteProgress(iteration, usageSoFar),
    });
  }

  /**
   * One SDK client per provider version, with the secrets its errors are
   * scrubbed of: building one (and decrypting its key) per run was a
   * visible part of a run's fixed cost. An edited
   * provider has a new updatedAt, so it gets a new client.
   */
  private clientFor(provider: Provider, publicOnly: boolean): ProviderClient {
    const key = `${provider.id}:${provider.updatedAt.getTime()}:${publicOnly}`;
    let client = this.clients.get(key);
    if (!client) {
      client = {
        client: createOpenAIClient(provider, this.secrets, {
          maxRetries: this.options.llmMaxRetries,
          timeoutMs: this.options.stallTimeoutMs,
          publicOnly,
        }),
        secrets: providerSecrets(provider, this.secrets),
      };
      if (this.clients.size >= MAX_CACHED_CLIENTS) this.clients.delete(this.clients.keys().next().value!);
      this.clients.set(key, client);
    }
    return client;
  }

  /** Everything a run needs beyond what sendMessage handed over: its provider and the history. */
  private async plan(run: Run, { conversation, userMessage, user, newConversation }: RunSeed) {
    const manager = this.dataSource.manager;
    const provider =
      (conversation.providerId ? await manager.findOneBy(Provider, { id: conversation.providerId }) : null) ??
      (await this.providers.defaultProvider());
    const earlier = newConversation ? [] : await this.earlierMessages(run.conversationId, userMessage.position);
    const tools: ChatCompletionTool[] = run.enabledTools
      .map((name) => this.registry.info(name))
      .filter((info) => info !== undefined && info.minPermissionLevel <= user.permissionLevel)
      .map((info) => ({
        type: 'function' as const,
        function: { name: info!.name, description: info!.description, parameters: info!.parameters },
      }));
    return {
      conversation,
      user,
      provider,
      model: conversation.model ?? provider.defaultModel,
      tools,
      messages: buildHistory(conversation.systemPrompt, earlier, userMessage.text),
    };
  }

  private earlierMessages(conversationId: string, position: string): Promise<Message[]> {
    return this.dataSource.manager
      .getRepository(Message)
      .createQueryBuilder('m')
      .where('m.conversation_id = :conversationId AND m.position < :position', { conversationId, position })
      .orderBy('m.position', 'ASC')
      .getMany();
  }

  private async heartbeat(): Promise<void> {
    if (this.active.size === 0) return;
    try {
      await this.dataSource.query(
        `UPDATE runs SET heartbeat_at = clock_timestamp() WHERE owner_instance = $1 AND status IN ('QUEUED', 'RUNNING')`,
        [this.instanceId],
      );
    } catch (error) {
      this.log.warn({ err: error }, 'heartbeat failed');
    }
  }

  /**
   * Marks INTERRUPTED the active runs whose owner stopped renewing its
   * lease: their partial answer is rebuilt from the stored events, and the
   * INTERRUPTED ErrorStep takes the next seq after the last stored one.
   */
  async sweep(): Promise<number> {
    let swept = 0;
    try {
      const stale: { id: string }[] = await this.dataSource.query(
        `SELECT id FROM runs WHERE status IN ('QUEUED', 'RUNNING')
           AND (owner_instance IS DISTINCT FROM $1)
           AND (heartbeat_at IS NULL OR heartbeat_at < clock_timestamp() - make_interval(secs => $2::double precision / 1000))`,
        [this.instanceId, this.options.runLeaseMs],
      );
      for (const { id } of stale) if (await this.endings.end(id, INTERRUPTED)) swept++;
    } catch (error) {
      this.log.warn({ err: error }, 'sweep failed');
    }
    return swept;
  }
}
