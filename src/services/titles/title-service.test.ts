import OpenAI from 'openai';
import type { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import type { Provider } from '../../entities/index.js';
import { captureLog } from '../../../test/helpers/log.js';
import { DEMO_BASE_URL } from '../llm/demo-model.js';
import { TitleService, type TitleJob, type TitleServiceOptions } from './title-service.js';

const provider = { id: 'p1', baseUrl: 'http://provider.invalid/v1' } as Provider;
const job: TitleJob = { conversationId: 'c1', userId: 'u1', firstLine: 'first line', text: 'first line\nmore', provider, publicOnly: false, model: 'm' };

/** A provider answering with `content` after `delayMs` (or never), through the real SDK. */
function fakeProvider(answer: { content?: string; delayMs?: number; never?: boolean }) {
  const requests: unknown[] = [];
  const fetch: typeof globalThis.fetch = async (_input, init) => {
    requests.push(JSON.parse(String(init?.body)));
    await new Promise((resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal!.reason), { once: true });
      if (!answer.never) setTimeout(resolve, answer.delayMs ?? 0);
    });
    const body = { id: 'x', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: answer.content ?? '' }, finish_reason: 'stop' }] };
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const client = new OpenAI({ apiKey: 'sk-unit-test-key', baseURL: provider.baseUrl, fetch, maxRetries: 0 });
  return { requests, clients: { clientFor: () => ({ client, secrets: [] }) } };
}

/** Storage whose conditional update matches `affected` rows; records its parameters. */
function fakeStorage(affected: number) {
  const updates: unknown[][] = [];
  return { updates, dataSource: { query: async (_sql: string, params: unknown[]) => (updates.push(params), [[], affected]) } as Pick<DataSource, 'query'> };
}

function service(options: Partial<TitleServiceOptions> & Pick<TitleServiceOptions, 'clients' | 'dataSource'>) {
  const log = captureLog('info');
  const changed: string[] = [];
  const titles = new TitleService({ log: log.logger, enabled: true, onTitleChanged: (id) => changed.push(id), ...options });
  return { titles, log, changed };
}

describe('TitleService', () => {
  it('stores the cleaned title over the first line it started from, then tells the hook', async () => {
    const { clients, requests } = fakeProvider({ content: '<think>hmm</think>"A short title."' });
    const storage = fakeStorage(1);
    const { titles, changed } = service({ clients, dataSource: storage.dataSource });
    titles.generate(job);
    await expect.poll(() => changed).toEqual(['c1']);
    expect(requests).toHaveLength(1);
    expect(storage.updates).toEqual([['c1', 'u1', 'A short title', 'first line']]);
    await titles.stop();
  });

  it('tells no one when the title changed meanwhile (the update matched nothing)', async () => {
    const storage = fakeStorage(0);
    const { titles, changed, log } = service({ clients: fakeProvider({ content: 'Title' }).clients, dataSource: storage.dataSource });
    titles.generate(job);
    await expect.poll(() => log.atLeast(30).map((l) => l.msg)).toContain('generated title not stored: the title changed meanwhile');
    expect(storage.updates).toHaveLength(1);
    expect(changed).toEqual([]);
    await titles.stop();
  });

  it('gives up after its timeout, keeps the first line and logs the reason only', async () => {
    const storage = fakeStorage(1);
    const { titles, log } = service({ clients: fakeProvider({ never: true }).clients, dataSource: storage.dataSource, timeoutMs: 50 });
    const started = Date.now();
    titles.generate(job);
    await expect.poll(() => log.atLeast(40).length).toBe(1);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(log.atLeast(40)[0]).toMatchObject({ reason: 'timeout', conversationId: 'c1' });
    expect(storage.updates).toEqual([]);
    expect(log.lines.join('\n')).not.toContain('more');
    await titles.stop();
  });

  it('abandons a request in flight on stop, storing and logging nothing', async () => {
    const storage = fakeStorage(1);
    const { titles, log } = service({ clients: fakeProvider({ never: true }).clients, dataSource: storage.dataSource });
    titles.generate(job);
    await new Promise((r) => setTimeout(r, 20));
    await titles.stop();
    expect(storage.updates).toEqual([]);
    expect(log.atLeast(40)).toEqual([]);
  });

  it('asks nothing when switched off, and nothing of the demo model', async () => {
    const off = fakeProvider({ content: 'Title' });
    const storage = fakeStorage(1);
    const disabled = service({ clients: off.clients, dataSource: storage.dataSource, enabled: false });
    disabled.titles.generate(job);
    await disabled.titles.stop();
    expect(off.requests).toEqual([]);
    expect(storage.updates).toEqual([]);

    const demo = fakeProvider({ content: 'unused' });
    const { titles } = service({ clients: demo.clients, dataSource: storage.dataSource });
    titles.generate({ ...job, provider: { ...provider, baseUrl: DEMO_BASE_URL } as Provider, text: 'what is 6*7?' });
    await expect.poll(() => storage.updates).toEqual([['c1', 'u1', 'What Is 6*7', 'first line']]);
    expect(demo.requests).toEqual([]);
    await titles.stop();
  });
});
