/**
 * The benchmark's fake LLM provider, run as its own process. It speaks the
 * same OpenAI chat streaming wire format as test/fixtures/fake-llm.ts (a
 * first `role` delta, one `chat.completion.chunk` per token, a finish
 * chunk, a usage chunk with `choices: []`, `data: [DONE]`), but the reply
 * is chosen by the prompt, so one process serves every workload:
 *
 *   "... bench:<marker> tokens=<n> pace=<ms> ..."
 *
 * streams n one-word tokens ("w0 w1 ..."), either as fast as the socket
 * takes them (pace=0: write until the socket pushes back, then wait for
 * drain) or one token every `pace` ms on an absolute schedule (no drift).
 *
 * Side channel: `GET /bench/first-bytes` answers, per marker, when the
 * response's first byte and first text token were written (epoch ms with
 * sub-ms precision), so the load client can compute the time-to-first-token
 * a relay adds over the provider.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { now, type ProviderTiming as Timing } from './shared.js';

const timings = new Map<string, Timing>();
const sleepUntil = (t: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, t - now())));

const server = http.createServer(async (req, res) => {
  const url = req.url ?? '';
  if (req.method === 'GET' && url.startsWith('/bench/first-bytes')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(Object.fromEntries(timings)));
    if (url.includes('clear=1')) timings.clear();
    return;
  }
  if (req.method === 'GET' && url.endsWith('/models')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'bench' }] }));
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  const match = /bench:([A-Za-z0-9_-]+) tokens=(\d+) pace=(\d+(?:\.\d+)?)/.exec(raw);
  if (!match) {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'no bench marker in the prompt', type: 'invalid_request_error' } }));
    return;
  }
  const [, marker, tokensText, paceText] = match;
  const tokens = Number(tokensText);
  const pace = Number(paceText);
  let body: any = {};
  try {
    body = JSON.parse(raw);
  } catch {
    // the marker is all we need
  }

  const id = `chatcmpl-bench-${marker}`;
  const created = Math.floor(Date.now() / 1000);
  const model = body?.model ?? 'fake-model';
  const frame = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    frame({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const timing: Timing = { firstByteAt: now() };
  timings.set(marker!, timing);
  res.write(chunk({ role: 'assistant', content: '' }));
  const start = now();
  for (let i = 0; i < tokens; i++) {
    if (res.destroyed) return;
    if (pace > 0) {
      const due = start + i * pace;
      if (now() < due) await sleepUntil(due);
    }
    const ok = res.write(chunk({ content: i === tokens - 1 ? `w${i}` : `w${i} ` }));
    if (i === 0) timing.firstTextAt = now();
    if (pace === 0 && !ok) await new Promise((resolve) => res.once('drain', resolve));
  }
  timing.lastTextAt = now();
  res.write(chunk({}, 'stop'));
  if (body?.stream_options?.include_usage) {
    res.write(
      frame({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [],
        usage: { prompt_tokens: 10, completion_tokens: tokens, total_tokens: 10 + tokens },
      }),
    );
  }
  res.end('data: [DONE]\n\n');
});

server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
