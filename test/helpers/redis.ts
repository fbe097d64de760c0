/** Where the real Redis for tests is: TEST_REDIS_URL or 127.0.0.1:6379. Tests that need it skip, saying so, without it. */
import { Redis } from 'ioredis';
import { startTcpProxy, throughProxy } from './tcp-proxy.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function redisReachable(): Promise<boolean> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export interface RedisProxy {
  /** REDIS_URL with the proxy's address (keeps the real URL's credentials and database). */
  url: string;
  /** Destroys every proxied connection; the proxy keeps listening, so clients reconnect. */
  cut(): void;
  /** While held, bytes are dropped both ways and new connections are accepted but go nowhere: an outage that looks up. */
  hold(on: boolean): void;
  close(): Promise<void>;
}

/** A TCP proxy in front of the test Redis, for cutting connections and holding outages. */
export async function startRedisProxy(target = REDIS_URL): Promise<RedisProxy> {
  const upstream = new URL(target);
  const proxy = await startTcpProxy({ host: upstream.hostname, port: Number(upstream.port || 6379) });
  return { url: throughProxy(target, proxy), cut: proxy.cut, hold: proxy.hold, close: proxy.close };
}
