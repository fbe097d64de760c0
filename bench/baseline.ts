/**
 * The raw baseline: what a team would write by hand instead of the server.
 * A minimal node http relay: `POST /chat` with `{ "prompt": "..." }` calls
 * the provider (UPSTREAM_URL, OpenAI chat completions, stream: true) with
 * `fetch`, and forwards each text delta as its own server-sent event
 * (`data: {"delta":"..."}`), then `event: done`. No auth, no storage, no
 * resume: the floor the server is measured against.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const upstream = process.env.UPSTREAM_URL ?? 'http://127.0.0.1:1/v1';

const server = http.createServer(async (req, res) => {
  if (req.method !== 'POST' || req.url !== '/chat') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const { prompt } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { prompt: string };
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  try {
    const response = await fetch(`${upstream}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
      body: JSON.stringify({ model: 'fake-model', stream: true, messages: [{ role: 'user', content: prompt }] }),
      signal: controller.signal,
    });
    if (!response.ok || !response.body) throw new Error(`provider answered ${response.status}`);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(bytes, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        for (const line of event.split('\n')) {
          if (!line.startsWith('data: ')) continue;
          const data = line.slice(6);
          if (data === '[DONE]') continue;
          const delta = JSON.parse(data).choices?.[0]?.delta?.content;
          if (delta) res.write(`data: ${JSON.stringify({ delta })}\n\n`);
        }
      }
    }
    res.end('event: done\ndata: {}\n\n');
  } catch (error) {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/event-stream' });
    res.end(`event: error\ndata: ${JSON.stringify({ message: String(error) })}\n\n`);
  }
});

server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
