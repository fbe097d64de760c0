/** A TCP proxy in front of a test server (PostgreSQL, Redis), for cutting connections and holding or refusing outages. */
import net from 'node:net';

export interface TcpProxy {
  host: string;
  port: number;
  /** Destroys every proxied connection; the proxy keeps listening, so clients reconnect. */
  cut(): void;
  /** While held, bytes are dropped both ways and new connections are accepted but go nowhere: an outage that looks up. */
  hold(on: boolean): void;
  /** While refused, new connections are closed at once: the server is down. `cut()` ends the open ones. */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let held = false;
  let refused = false;
  const server = net.createServer((client) => {
    if (refused) {
      client.on('error', () => {});
      client.destroy();
      return;
    }
    const remote = net.connect(target.port, target.host);
    for (const [from, to] of [
      [client, remote],
      [remote, client],
    ] as const) {
      sockets.add(from);
      from.on('data', (bytes) => {
        if (!held) to.write(bytes);
      });
      from.on('error', () => {});
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    host: '127.0.0.1',
    port: (server.address() as net.AddressInfo).port,
    cut,
    hold: (on) => {
      held = on;
    },
    refuse: (on) => {
      refused = on;
    },
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `url` with its host and port replaced by the proxy's (credentials, path and query kept). */
export function throughProxy(url: string, proxy: TcpProxy): string {
  const proxied = new URL(url);
  proxied.hostname = proxy.host;
  proxied.port = String(proxy.port);
  return proxied.toString();
}
