/**
 * The services of one server instance, built from its configuration and
 * database. No module-level state: two apps in one process stay apart.
 */
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { ConversationService } from './conversations/conversation-service.js';
import { MessageService } from './messages/message-service.js';
import { ProviderService } from './providers/provider-service.js';
import { RunReader } from './runs/run-reader.js';
import type { SecretBox } from './secrets/secret-box.js';
import { AuthService } from './users/auth-service.js';
import { UserService } from './users/user-service.js';

export interface ServiceDeps {
  dataSource: DataSource;
  secrets: SecretBox;
  log: Logger;
  authSecret?: string;
  providerAllowPrivate: boolean;
}

export function createServices(deps: ServiceDeps) {
  const users = new UserService(deps.dataSource);
  const providers = new ProviderService(deps.dataSource, deps.secrets, {
    allowPrivateAddresses: deps.providerAllowPrivate,
  });
  return {
    users,
    auth: new AuthService(users, deps.authSecret),
    providers,
    conversations: new ConversationService(deps.dataSource, providers),
    messages: new MessageService(deps.dataSource),
    runs: new RunReader(deps.dataSource),
  };
}

export type Services = ReturnType<typeof createServices>;
