/**
 * The services of one server instance, built from its configuration and
 * database. No module-level state: two apps in one process stay apart.
 */
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Config } from '../config.js';
import { ConversationService } from './conversations/conversation-service.js';
import { MessageService } from './messages/message-service.js';
import { createMetrics } from './metrics.js';
import { ProviderService } from './providers/provider-service.js';
import { InProcessEventBus, type EventBus } from './runs/event-bus.js';
import { Flusher } from './runs/flusher.js';
import { RedisEventBus } from './runs/redis-event-bus.js';
import { RunEventStore } from './runs/run-event-store.js';
import { RunExecutor } from './runs/run-executor.js';
import { RunService } from './runs/run-service.js';
import { StoredEndings } from './runs/stored-ending.js';
import type { SecretBox } from './secrets/secret-box.js';
import { builtinTools } from './tools/builtin/index.js';
import { ToolExecutor } from './tools/tool-executor.js';
import { ToolRegistry } from './tools/tool-registry.js';
import { AuthService } from './users/auth-service.js';
import { UserService } from './users/user-service.js';

export interface ServiceDeps {
  dataSource: DataSource;
  secrets: SecretBox;
  log: Logger;
  config: Config;
  /** Live event delivery; in-process unless a shared one (Redis) is given. */
  bus?: EventBus;
}

/** Redis when REDIS_URL is set (several instances), otherwise in process. */
function createEventBus(config: Config, log: Logger): EventBus {
  return config.redisUrl
    ? new RedisEventBus({ url: config.redisUrl, prefix: config.redisPrefix }, log)
    : new InProcessEventBus();
}

export function createServices({ dataSource, secrets, log, config, bus = createEventBus(config, log) }: ServiceDeps) {
  const users = new UserService(dataSource);
  const providers = new ProviderService(dataSource, secrets, { allowPrivateAddresses: config.providerAllowPrivate });
  const conversations = new ConversationService(dataSource, providers);
  const tools = new ToolRegistry(builtinTools);
  const store = new RunEventStore(dataSource);
  const metrics = createMetrics();
  const endings = new StoredEndings(dataSource, store, bus);
  const flusher = new Flusher({
    store,
    bus,
    endings,
    intervalMs: config.flushIntervalMs,
    log,
    metrics,
    // The run's ending was stored without its recorder: stop it here.
    onRunAbandoned: (runId) => executor.abandon(runId),
  });
  const executor = new RunExecutor(
    {
      dataSource,
      bus,
      flusher,
      endings,
      providers,
      secrets,
      registry: tools,
      tools: new ToolExecutor(tools),
      log,
      metrics,
    },
    {
      maxIterations: config.maxIterations,
      runsInFlight: config.limits.runsInFlight,
      llmMaxRetries: config.llm.maxRetries,
      stallTimeoutMs: config.llm.stallTimeoutMs,
      runLeaseMs: config.runLeaseMs,
      runMaxDurationMs: config.runMaxDurationMs,
    },
  );
  metrics.observe({
    activeRuns: () => executor.activeCount,
    queuedRuns: () => executor.queuedCount,
    subscribers: () => bus.listenerCount,
  });
  return {
    users,
    auth: new AuthService(users, config.authSecret),
    providers,
    conversations,
    messages: new MessageService(dataSource),
    tools,
    runs: new RunService(dataSource, providers, tools, executor, store, bus, {
      subscriberMaxLagEvents: config.subscriberMaxLagEvents,
      messageChars: config.limits.messageChars,
      activeRunsPerUser: config.limits.activeRunsPerUser,
      sendsPerMinute: config.limits.sendsPerMinute,
    }),
    executor,
    flusher,
    bus,
    metrics,
  };
}

export type Services = ReturnType<typeof createServices>;
