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
import { Message, Provider, Run, type Conversation } from '../../entities/index.js';
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
import { fromRow } from './run-event.js';
import { foldInto, type RunEventStore } from './run-event-store.js';
import { RunRecorder, type RunEnding } from './run-recorder.js';
import { RunSlots } from './run-slots.js';
import { EMPTY_USAGE } from './step-view.js';

export interface RunExecutorOptions {
  maxIterations: number;
  /** Runs executing at once; more wait QUEUED. */
  runsInFlight: number;
  llmMaxRetries: number;
  stallTimeoutMs: number;
  runLeaseMs: number;
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

/** A run stopped because another instance ended it. */
class EndedElsewhere extends Error {}

export class RunExecutor {
  readonly instanceId = randomUUID();
  private readonly active = new Map<string, ActiveRun>();
  private readonly clients = new Map<string, ProviderClient>();
  private readonly slots: RunSlots;
  private heartbeatTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: RunEventStore,
    private readonly bus: EventBus,
    private readonly flusher: Flusher,
    private readonly providers: ProviderService,
    private readonly secrets: SecretBox,
    private readonly registry: ToolRegistry,
    private readonly tools: ToolExecutor,
    private readonly options: RunExecutorOptions,
    private readonly log: Logger,
    private readonly metrics?: Metrics,
  ) {
    this.slots = new RunSlots(options.runsInFlight);
    // A cancel asked on another instance reaches the one executing the run.
    bus.onCancelRequest((runId) => void this.cancel(runId));
    // Another instance's sweep ended a run that still ran here: stop it (its ending is stored).
    flusher.onRunEnded = (runId) => this.active.get(runId)?.controller.abort(new EndedElsewhere());
  }

  /** Starts the heartbeat and the periodic sweep; sweeps once now. */
  async startBackground(): Promise<void> {
    await this.sweep();
    const beat = Math.max(100, Math.min(5_000, Math.floor(this.options.runLeaseMs / 3)));
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), beat);
    this.sweepTimer = setInterval(() => void this.sweep(), Math.max(beat, Math.floor(this.options.runLeaseMs / 2)));
  }

  isLocal(runId: string): boolean {
    return this.active.has(runId);
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
    const releaseSlot = await this.slots.acquire(signal).catch(() => undefined);
    if (!releaseSlot) {
      ending = { kind: 'error', code: 'CANCELLED', message: 'The run was cancelled.', usage: EMPTY_USAGE, iterations: 0 };
    } else {
      this.metrics?.runStarted();
      try {
        ending = await this.loop(run, seed, recorder, signal);
      } catch (error) {
        log.error({ err: error }, 'run could not execute');
        ending = { kind: 'error', code: 'INTERNAL', message: 'The server failed to run this request.', usage: EMPTY_USAGE, iterations: 0 };
      } finally {
        releaseSlot();
      }
    }
    if (ending.kind === 'error' && ending.code === 'CANCELLED' && (signal.reason instanceof ShutdownAbort || recorder.abandoned)) {
      ending = { ...ending, code: 'INTERRUPTED', message: 'The server stopped while the run was active.' };
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
      for (const { id } of stale) if (await this.interrupt(id)) swept++;
    } catch (error) {
      this.log.warn({ err: error }, 'sweep failed');
    }
    return swept;
  }

  private async interrupt(runId: string): Promise<boolean> {
    const recorder = await this.dataSource.transaction(async (manager) => {
      // Claim it: another instance's sweep may be at the same run.
      const claimed: Run[] = await manager
        .getRepository(Run)
        .createQueryBuilder('r')
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .where(`r.id = :runId AND r.status IN ('QUEUED', 'RUNNING')`, { runId })
        .getMany();
      const run = claimed[0];
      if (!run || !run.assistantMessageId) return undefined;
      const rows = await manager.query(
        `SELECT run_id, seq, type, step_id, step_index, payload FROM run_events WHERE run_id = $1 ORDER BY seq`,
        [runId],
      );
      // An active run's row does not follow its events: the INTERRUPTED event comes after the newest one.
      const newest = rows.length > 0 ? Number(rows[rows.length - 1].seq) : 0;
      const rec = new RunRecorder(run.id, run.conversationId, run.assistantMessageId, Math.max(run.lastSeq, newest));
      for (const row of rows) foldInto(rec.steps, fromRow(row));
      rec.finish({
        kind: 'error',
        code: 'INTERRUPTED',
        message: 'The server stopped while the run was active.',
        usage: run.usage ?? EMPTY_USAGE,
        iterations: run.iterations,
      });
      const { events, final } = rec.drain();
      await this.store.writeWith(manager, events, [final!]);
      return { rec, events };
    });
    if (!recorder) return false;
    this.bus.publish(runId, recorder.events);
    recorder.rec.committed();
    return true;
  }
}
