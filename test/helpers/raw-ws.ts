/**
 * A raw WebSocket speaking graphql-ws's protocol by hand (graphql-transport-ws),
 * for tests that need to send what a well-behaved client never would, or to
 * cut a connection at an exact point (terminate without a close frame).
 */
import WebSocket from 'ws';

export interface RawSocket {
  ws: WebSocket;
  /** Messages received so far (parsed JSON, or the raw text when it is not JSON). */
  messages: any[];
  /** Resolves with the close code and reason once the socket is closed. */
  closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  /** The next message matching `predicate` (already received ones included), or undefined once closed. */
  waitFor(predicate: (message: any) => boolean, timeoutMs?: number): Promise<any>;
}

export function openRaw(url: string, options: { maxPayload?: number } = {}): Promise<RawSocket> {
  const ws = new WebSocket(url, 'graphql-transport-ws', options);
  const messages: any[] = [];
  const waiters = new Set<() => void>();
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const wake of waiters) wake();
    }),
  );
  ws.on('error', () => {}); // the close event follows and carries what matters
  ws.on('message', (data) => {
    const textData = data.toString();
    try {
      messages.push(JSON.parse(textData));
    } catch {
      messages.push(textData);
    }
    for (const wake of waiters) wake();
  });
  const socket: RawSocket = {
    ws,
    messages,
    closed,
    send(message) {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let seen = 0;
      for (;;) {
        for (; seen < messages.length; seen++) if (predicate(messages[seen])) return messages[seen];
        if (ws.readyState === WebSocket.CLOSED || Date.now() > deadline) return undefined;
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, Math.max(1, deadline - Date.now()));
          waiters.add(wake);
        });
      }
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    void closed.then(({ code }) => reject(new Error(`closed before open: ${code}`)));
  });
}

/** Opens a socket and completes connection_init with the token; throws unless acknowledged. */
export async function openAcked(url: string, token: string): Promise<RawSocket> {
  const socket = await openRaw(url);
  socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
  const ack = await socket.waitFor((m) => m?.type === 'connection_ack');
  if (!ack) throw new Error(`no connection_ack: ${JSON.stringify(await Promise.race([socket.closed, Promise.resolve('open')]))}`);
  return socket;
}
