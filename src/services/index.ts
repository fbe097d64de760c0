/**
 * The services of one server instance, built from its configuration and
 * database. No module-level state: two apps in one process stay apart.
 */
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Config } from '../config.js';
import { ConversationService } from './conversations/conversation-service.js';
import { MessageService } from './messages/message-service.js';
import { ClientCache } from './llm/client-cache.js';
import { createMetrics } from './metrics.js';
import { ProviderService } from './providers/provider-service.js';
import { InProcessEventBus, type EventBus } from './runs/event-bus.js';
import { Flusher } from './runs/flusher.js';
import { RedisEventBus } from './runs/redis-event-bus.js';
import { RunEventStore } from './runs/run-event-store.js';
import { RunExecutor } from './runs/run-executor.js';
import { RunLeases } from './runs/run-leases.js';
import { RunOutput } from './runs/run-output.js';
import { RunPlanner } from './runs/run-plan.js';
import { RunService } from './runs/run-service.js';
import { StoredEndings } from './runs/stored-ending.js';
import { TitleService } from './titles/title-service.js';
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
  const clients = new ClientCache({ secrets, maxRetries: config.llm.maxRetries, timeoutMs: config.llm.stallTimeoutMs });
  const providers = new ProviderService(dataSource, secrets, { allowPrivateAddresses: config.providerAllowPrivate, clients });
  const conversations = new ConversationService(dataSource, providers);
  const tools = new ToolRegistry(builtinTools);
  const store = new RunEventStore(dataSource);
  const metrics = createMetrics();
  // Durable before visible: every run output (ticks, endings from storage) is written, then published, here.
  const output = new RunOutput({ dataSource, store, bus });
  const endings = new StoredEndings(output);
  const flusher = new Flusher({ output, endings, intervalMs: config.flushIntervalMs, log, metrics });
  const leases: RunLeases = new RunLeases({
    dataSource,
    endings,
    leaseMs: config.runLeaseMs,
    log,
    idle: () => executor.activeCount === 0,
  });
  // Another step publishes the live conversation list; a stored title is where it will hear of it.
  const titles = new TitleService({ dataSource, clients, log, enabled: config.titleGeneration });
  const executor = new RunExecutor({
    bus,
    flusher,
    leases,
    planner: new RunPlanner({ dataSource, providers, registry: tools }),
    clients,
    titles,
    tools: new ToolExecutor(tools),
    limits: {
      maxIterations: config.maxIterations,
      runsInFlight: config.limits.runsInFlight,
      stallTimeoutMs: config.llm.stallTimeoutMs,
      runMaxDurationMs: config.runMaxDurationMs,
    },
    log,
    metrics,
  });
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
    runs: new RunService({
      dataSource,
      providers,
      registry: tools,
      executor,
      leases,
      store,
      bus,
      limits: {
        subscriberMaxLagEvents: config.subscriberMaxLagEvents,
        messageChars: config.limits.messageChars,
        activeRunsPerUser: config.limits.activeRunsPerUser,
        sendsPerMinute: config.limits.sendsPerMinute,
      },
    }),
    executor,
    titles,
    flusher,
    bus,
    metrics,
  };
}

export type Services = ReturnType<typeof createServices>;
