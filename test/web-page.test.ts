/**
 * The chat page at `/`, end to end: the real server with the fake provider
 * in local mode, the page built with Vite, driven in headless Chromium
 * (Debian's `chromium`, through playwright-core). Screenshots go to
 * test-artifacts/. Without Chromium the browser suite is skipped, saying so.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page, type WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webPage } from '../src/web-page.js';
import { chatRequests, reply, startFakeLlm, text, toolCall, type FakeLlm } from './fixtures/fake-llm.js';
import { readRun, startChatServer } from './helpers/chat.js';
import type { TestServer } from './helpers/server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `[web-page.test] SKIPPING the browser tests: no Chromium at ${CHROMIUM}. ` +
      'Install it (apt-get install -y chromium) or set CHROMIUM_PATH.',
  );
}
const ARTIFACTS = path.resolve('test-artifacts');

const words = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`).join(' ') + '.';

describe('serving the page', () => {
  async function serve(dist: string) {
    const handle = webPage(dist);
    const server = http.createServer((req, res) => {
      if (!handle(req, res)) res.writeHead(418).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  it('serves index.html uncached and hashed assets with their type and a long cache; leaves other paths alone', async () => {
    const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'web-dist-'));
    fs.mkdirSync(path.join(dist, 'assets'));
    fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>page</title>');
    fs.writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    fs.writeFileSync(path.join(dist, 'assets', 'index-abc123.css'), 'body{}');
    const { base, close } = await serve(dist);
    try {
      const index = await fetch(`${base}/?x=1`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(index.headers.get('cache-control')).toBe('no-cache');
      expect(await index.text()).toContain('<title>page</title>');
      const js = await fetch(`${base}/assets/index-abc123.js`);
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(await js.text()).toBe('console.log(1)');
      expect((await fetch(`${base}/assets/index-abc123.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
      expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
      expect((await fetch(`${base}/assets/..%2Findex.html`)).status).toBe(418);
      expect((await fetch(`${base}/graphql`)).status).toBe(418);
      expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(418);
    } finally {
      await close();
      fs.rmSync(dist, { recursive: true, force: true });
    }
  });

  it('without a build, answers / with a page saying to run npm run build:web and linking GraphiQL', async () => {
    const { base, close } = await serve(path.join(os.tmpdir(), 'no-such-web-dist'));
    try {
      const response = await fetch(`${base}/`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const body = await response.text();
      expect(body).toContain('npm run build:web');
      expect(body).toContain('href="/graphql"');
    } finally {
      await close();
    }
  });
});

describe.skipIf(!hasChromium)('the chat page in headless Chromium', () => {
  let fake: FakeLlm;
  let server: TestServer;
  let browser: Browser;
  let base: string;
  const shots: string[] = [];

  beforeAll(async () => {
    // Test the page as it is now: build it (type check, then vite build into web/dist).
    execFileSync('npm', ['run', '--silent', 'build:web'], { stdio: 'pipe' });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fake = await startFakeLlm();
    server = await startChatServer(fake, { local: true });
    base = `http://127.0.0.1:${server.port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await fake?.close();
    if (shots.length) console.log(`[web-page.test] screenshots:\n  ${shots.join('\n  ')}`);
  });

  async function screenshot(page: Page, name: string) {
    const file = path.join(ARTIFACTS, `web-page-${name}.png`);
    await page.screenshot({ path: file });
    shots.push(file);
  }

  async function openPage(options: { viewport?: { width: number; height: number }; clipboard?: boolean; withoutCsp?: boolean } = {}) {
    const page = await browser.newPage({
      viewport: options.viewport ?? { width: 1100, height: 760 },
      permissions: options.clipboard ? ['clipboard-read', 'clipboard-write'] : [],
      // Without the page's Content-Security-Policy, only the sanitizer stands between the model and the page.
      bypassCSP: options.withoutCsp ?? false,
    });
    page.setDefaultTimeout(10_000);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(`${base}/`);
    await page.locator('#provider option').first().waitFor({ state: 'attached' });
    return { page, problems };
  }

  const answer = (page: Page) => page.locator('article.message.assistant').last();
  const answerText = (page: Page) => answer(page).locator('[data-step=text]').innerText();
  const status = (page: Page) => answer(page).locator('.run-status');
  /** Words of the streamed text so far (0 before the text step appears). */
  const wordsShown = async (page: Page) =>
    (await answer(page).locator('[data-step=text]').count()) ? (await answerText(page)).split(' ').length : 0;

  async function sendFromPage(page: Page, message: string, tools: string[] = []) {
    for (const tool of tools) await page.locator(`#tools input[value="${tool}"]`).check();
    await page.locator('#input').fill(message);
    await page.locator('#send').click();
  }

  const conversationOf = (page: Page) => new URLSearchParams(new URL(page.url()).hash.slice(1)).get('c');

  it('streams thinking, a tool call, its result and the text of a run with a tool enabled', async () => {
    const thinking = 'The user wants a product, so I will use the calculator tool.';
    const final = `Six times seven is 42. ${words(30, 'detail')}`;
    fake.enqueue(
      reply([{ thinking }, { toolCalls: [toolCall('calculator', { expression: '6*7' }, 'call_mul')] }], { delayMs: 15 }),
      text(final, { delayMs: 40 }),
    );
    const { page, problems } = await openPage();
    expect(await page.locator('#provider option').allInnerTexts()).toHaveLength(1);
    expect(await page.locator('#model').inputValue()).toBe('fake-model');
    expect(await page.locator('#token-form').isHidden()).toBe(true); // local mode: no token needed
    await sendFromPage(page, 'What is 6 times 7?', ['calculator']);

    // Mid-stream: part of the text is there, the run is still streaming.
    await expect.poll(() => wordsShown(page), { timeout: 10_000 }).toBeGreaterThan(6);
    expect(await status(page).getAttribute('data-status')).toBe('streaming');
    expect(await page.locator('#stop').isVisible()).toBe(true);
    await screenshot(page, 'mid-stream');

    await expect.poll(() => status(page).getAttribute('data-status'), { timeout: 15_000 }).toBe('done');
    const runId = await page.locator('#messages').getAttribute('data-run-id');
    const stored = await readRun(server, '', runId!);
    const storedResult = stored.assistantMessage.steps.find((s: any) => s.__typename === 'ToolResultStep');

    // What the fake streamed, exactly, in step order: thinking, the call (with its result), the text.
    const steps = answer(page).locator('.steps > *');
    expect(await steps.evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.step))).toEqual(['thinking', 'tool-call', 'text']);
    expect(await answer(page).locator('[data-step=thinking] .thinking-text').textContent()).toBe(thinking);
    expect(await answer(page).locator('.tool-name').innerText()).toBe('calculator');
    expect(JSON.parse((await answer(page).locator('.tool-args').textContent())!)).toEqual({ expression: '6*7' });
    const result = answer(page).locator('[data-step=tool-result]');
    expect(await result.getAttribute('data-success')).toBe('true');
    // The result is pretty-printed like the arguments.
    expect(await result.locator('.tool-content').textContent()).toBe(JSON.stringify(JSON.parse(storedResult.content), null, 2));
    expect(JSON.parse(storedResult.content)).toEqual({ expression: '6*7', result: 42 });
    expect(await result.locator('.tool-duration').innerText()).toBe(`${storedResult.durationMs} ms`);
    expect(await answerText(page)).toBe(final);
    expect(stored.assistantMessage.text).toBe(final);
    expect(await status(page).innerText()).toMatch(/^Done · \d+ tokens$/);

    // The tool was offered to the model, and the page keeps the conversation in the URL.
    expect(chatRequests(fake).at(-2)!.body.tools.map((t: any) => t.function.name)).toEqual(['calculator']);
    expect(conversationOf(page)).toBe((await server.gql(`query($id: ID!) { run(id: $id) { conversation { id } } }`, { id: runId })).data!.run.conversation.id);
    expect(await page.locator('#conversations a.current').count()).toBe(1);
    expect(await page.locator('#stop').isHidden()).toBe(true);
    // At desktop size the conversation list is shown and the ☰ button is not.
    expect(await page.locator('#sidebar').isVisible()).toBe(true);
    expect(await page.locator('#toggle-list').isHidden()).toBe(true);
    await screenshot(page, 'completed-with-tool');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('Stop cancels a slow run and keeps the partial text, marked as stopped', async () => {
    const full = words(80, 'word');
    fake.enqueue(text(full, { delayMs: 60 }));
    const { page, problems } = await openPage();
    await sendFromPage(page, 'Tell me a long story.');
    await expect.poll(() => wordsShown(page), { timeout: 10_000 }).toBeGreaterThan(5);
    await page.locator('#stop').click();
    await expect.poll(() => status(page).getAttribute('data-status'), { timeout: 10_000 }).toBe('cancelled');

    const kept = await answerText(page);
    expect(kept.length).toBeGreaterThan(0);
    expect(full.startsWith(kept)).toBe(true);
    expect(kept.length).toBeLessThan(full.length);
    expect(await status(page).innerText()).toContain('Stopped');
    const runId = await page.locator('#messages').getAttribute('data-run-id');
    const stored = await readRun(server, '', runId!);
    expect(stored.status).toBe('CANCELLED');
    // The page shows exactly what was stored (a paragraph of rendered Markdown drops the trailing space).
    expect(stored.assistantMessage.text.trimEnd()).toBe(kept);
    expect(await page.locator('#send').isVisible()).toBe(true);
    await screenshot(page, 'after-stop');

    // Reopened from the server, the stored partial answer shows the same text and marker.
    await page.reload();
    await expect.poll(() => status(page).getAttribute('data-status'), { timeout: 10_000 }).toBe('cancelled');
    expect(await answerText(page)).toBe(kept);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a reload mid-run draws the partial answer and resumes after lastSeq, without duplicated tokens', async () => {
    const full = words(60, 'tok');
    fake.enqueue(text(full, { delayMs: 40 }));
    const { page, problems } = await openPage();
    const subscribes: { after: number; reloaded: boolean }[] = [];
    let reloaded = false;
    page.on('websocket', (socket) =>
      socket.on('framesent', ({ payload }) => {
        const message = JSON.parse(String(payload));
        if (message.type === 'subscribe') subscribes.push({ after: message.payload.variables.after, reloaded });
      }),
    );
    await sendFromPage(page, 'Count for me.');
    await expect.poll(() => wordsShown(page), { timeout: 10_000 }).toBeGreaterThan(8);
    const conversation = conversationOf(page);
    expect(conversation).toBeTruthy();

    reloaded = true;
    await page.reload();
    expect(conversationOf(page)).toBe(conversation);
    // Right after the reload the partial answer is drawn from activeRun.assistantMessage.steps.
    await answer(page).locator('[data-step=text]').waitFor();
    const partial = await answerText(page);
    expect(partial.split(' ').length).toBeGreaterThan(8);
    expect(full.startsWith(partial)).toBe(true);

    await expect.poll(() => status(page).getAttribute('data-status'), { timeout: 15_000 }).toBe('done');
    expect(await answerText(page)).toBe(full);
    expect(await answer(page).locator('[data-step=text]').count()).toBe(1);
    // Before the reload it followed from 0; after it, from the lastSeq it had drawn.
    expect(subscribes.filter((s) => !s.reloaded).map((s) => s.after)).toEqual([0]);
    const resumed = subscribes.filter((s) => s.reloaded);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]!.after).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a dropped WebSocket mid-run: graphql-ws resubscribes from the same after, and the page drops what it has', async () => {
    const full = words(60, 'seg');
    fake.enqueue(text(full, { delayMs: 40 }));
    const { page, problems } = await openPage();
    const subscribes: number[] = [];
    const routes: WebSocketRoute[] = [];
    await page.routeWebSocket(/\/graphql$/, (socket) => {
      const upstream = socket.connectToServer();
      routes.push(socket);
      socket.onMessage((message) => {
        const parsed = JSON.parse(String(message));
        if (parsed.type === 'subscribe') subscribes.push(parsed.payload.variables.after);
        upstream.send(message);
      });
      upstream.onMessage((message) => socket.send(message));
    });
    await sendFromPage(page, 'Keep going.');
    await expect.poll(() => wordsShown(page), { timeout: 10_000 }).toBeGreaterThan(8);
    await routes[0]!.close({ code: 1012, reason: 'the test drops the connection' });

    await expect.poll(() => status(page).getAttribute('data-status'), { timeout: 15_000 }).toBe('done');
    expect(routes.length).toBe(2); // it reconnected
    expect(subscribes).toEqual([0, 0]); // and replayed from the start: every event it had came again
    expect(await answerText(page)).toBe(full);
    expect(await answer(page).locator('[data-step=text]').count()).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('with AUTH_SECRET, asks for a token, keeps it and sends it as a bearer header and in connectionParams', async () => {
    const secured = await startChatServer(fake); // not local: every request needs a token
    try {
      fake.enqueue(text('Hello, token holder.', { delayMs: 10 }));
      const page = await browser.newPage();
      page.setDefaultTimeout(10_000);
      const inits: any[] = [];
      page.on('websocket', (socket) =>
        socket.on('framesent', ({ payload }) => {
          const message = JSON.parse(String(payload));
          if (message.type === 'connection_init') inits.push(message.payload);
        }),
      );
      await page.goto(`http://127.0.0.1:${secured.port}/`);
      await page.locator('#token-form').waitFor({ state: 'visible' });
      expect(await page.locator('#notice').innerText()).toContain('needs a token');
      const token = await secured.token('web-user', 1, 'Web User');
      await page.locator('#token').fill(token);
      await page.locator('#token-form button').click();
      await expect.poll(() => page.locator('#viewer').innerText()).toBe('Web User');
      expect(await page.evaluate(() => Object.values(localStorage))).toEqual([token]);

      await sendFromPage(page, 'Hi');
      await expect.poll(() => status(page).getAttribute('data-status'), { timeout: 10_000 }).toBe('done');
      expect(await answerText(page)).toBe('Hello, token holder.');
      expect(inits).toEqual([{ authorization: `Bearer ${token}` }]);
      await page.close();
    } finally {
      await secured.stop();
    }
  });

  /**
   * From now on, counts per animation frame how often an answer's HTML is
   * rebuilt. `expectOncePerFrame` checks the counts: at most once per frame,
   * except that when the answer ends its last text is drawn at once (which
   * may be a second rebuild in the frame of the last one).
   */
  async function countRebuilds(page: Page) {
    await page.evaluate(() => {
      const w = window as any;
      w.__rebuilds = new Map<number, number>();
      let frame = 0;
      const tick = () => {
        frame++;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      new MutationObserver((records) => {
        for (const record of records) {
          const target = record.target as HTMLElement;
          if (target.dataset?.step === 'text' && record.removedNodes.length) w.__rebuilds.set(frame, (w.__rebuilds.get(frame) ?? 0) + 1);
        }
      }).observe(document.getElementById('messages')!, { childList: true, subtree: true });
    });
  }
  async function expectOncePerFrame(page: Page) {
    const rebuilds: number[] = await page.evaluate(() => [...(window as any).__rebuilds.values()]);
    const last = rebuilds.pop();
    expect(last).toBeLessThanOrEqual(2);
    expect(Math.max(...rebuilds)).toBe(1);
    return rebuilds.length + 1;
  }

  /** The answer's visible text, for checking that no Markdown syntax is left showing. */
  const visibleText = (page: Page) => answer(page).locator('.steps').innerText();

  it('renders an answer as Markdown while it streams: headings, lists, tables, quotes, links, highlighted code with a copy button', async () => {
    const code = ['const answer: number = 42;', 'function double(n: number) {', '  return n * 2;', '}', 'console.log(double(answer));'].join('\n');
    const markdown = [
      '## The plan', '', 'Steps:', '', '- first **bold** step', '- second step', '',
      '| name | value |', '|------|-------|', '| x | 1 |', '| y | 2 |', '',
      '> A quoted line.', '', 'See [the docs](https://example.com/docs) for more.', '',
      '```ts', code, '```', '', `That is all. ${words(25, 'after')}`,
    ].join('\n');
    fake.enqueue(text(markdown, { delayMs: 45 }));
    const { page, problems } = await openPage({ clipboard: true });
    await countRebuilds(page);
    await sendFromPage(page, 'Show me some Markdown.');

    // Mid-stream, inside the still-open code fence: already a code block, no ``` showing, nothing wider than the answer.
    await expect.poll(() => answer(page).locator('pre code').count(), { timeout: 10_000 }).toBe(1);
    expect(await status(page).getAttribute('data-status')).toBe('streaming');
    const mid = await answer(page).evaluate((el) => ({
      fenceShown: (el.querySelector('.steps') as HTMLElement).innerText.includes('```'),
      overflow: el.scrollWidth - el.clientWidth,
      pre: el.querySelectorAll('pre').length,
      copy: el.querySelectorAll('.code-head button.copy').length,
      table: el.querySelectorAll('table tr').length,
    }));
    expect(mid).toEqual({ fenceShown: false, overflow: 0, pre: 1, copy: 1, table: 3 });
    await screenshot(page, 'markdown-mid-stream');

    await expect.poll(() => status(page).getAttribute('data-status'), { timeout: 15_000 }).toBe('done');
    expect(await expectOncePerFrame(page)).toBeGreaterThan(5); // redrawn as it streamed, never twice in a frame
    const body = answer(page).locator('[data-step=text]');
    expect(await body.locator('h2').innerText()).toBe('The plan');
    expect(await body.locator('ul > li').allInnerTexts()).toEqual(['first bold step', 'second step']);
    expect(await body.locator('li strong').innerText()).toBe('bold');
    expect(await body.locator('table th').allInnerTexts()).toEqual(['name', 'value']);
    expect(await body.locator('table td').allInnerTexts()).toEqual(['x', '1', 'y', '2']);
    expect(await body.locator('blockquote').innerText()).toBe('A quoted line.');
    const link = body.locator('a');
    expect(await link.getAttribute('href')).toBe('https://example.com/docs');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    const block = body.locator('pre code');
    expect(await block.textContent()).toBe(`${code}\n`);
    expect(await block.getAttribute('class')).toContain('hljs');
    expect(await block.locator('.hljs-keyword').first().innerText()).toBe('const');
    expect(await visibleText(page)).not.toContain('```');

    // The code block's copy button copies the code; the message's copy button copies the Markdown.
    await body.locator('.code-head button.copy').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(`${code}\n`);
    expect(await body.locator('.code-head button.copy').innerText()).toBe('Copied');
    await answer(page).locator('.message-actions button.copy').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(markdown);
    await screenshot(page, 'markdown-done');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('redraws a streamed answer at most once per animation frame, even when its events arrive in bursts', async () => {
    const full = words(80, 'burst');
    fake.enqueue(text(full, { delayMs: 10 }));
    const { page, problems } = await openPage();
    // Hold the server's events and hand them to the page eight at a time, as a congested network would.
    let textEvents = 0;
    await page.routeWebSocket(/\/graphql$/, (socket) => {
      const upstream = socket.connectToServer();
      socket.onMessage((message) => upstream.send(message));
      let held: (string | Buffer)[] = [];
      let timer: NodeJS.Timeout | undefined;
      const release = () => {
        clearTimeout(timer);
        for (const message of held) socket.send(message);
        held = [];
      };
      upstream.onMessage((message) => {
        const parsed = JSON.parse(String(message));
        if (parsed.type !== 'next') {
          release();
          socket.send(message);
          return;
        }
        if (parsed.payload?.data?.chatSteps?.__typename === 'TextStep') textEvents++;
        held.push(message);
        clearTimeout(timer);
        timer = setTimeout(release, 150);
        if (held.length >= 8) release();
      });
    });
    await countRebuilds(page);
    await sendFromPage(page, 'Burst it.');
    await expect.poll(() => status(page).getAttribute('data-status'), { timeout: 15_000 }).toBe('done');
    expect(await answerText(page)).toBe(full);
    const frames = await expectOncePerFrame(page);
    expect(textEvents).toBeGreaterThan(10);
    expect(frames).toBeLessThan(textEvents);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('never runs raw HTML from the model: no script, no event handler, no javascript: link reaches the page', async () => {
    const hostile =
      'Hello <script>window.__pwned = "script"</script> there.\n\n' +
      '<img src=x onerror="window.__pwned = \'img\'"> <svg onload="window.__pwned = \'svg\'"></svg> ' +
      '<a href="javascript:window.__pwned=\'link\'">click</a> <iframe src="javascript:parent.__pwned=1"></iframe>\n\n' +
      '```html\n<script>window.__pwned = "code"</script>\n```\n\nDone.';
    fake.enqueue(text(hostile, { delayMs: 10 }));
    const { page, problems } = await openPage({ withoutCsp: true });
    await sendFromPage(page, 'Say something nasty.');
    await expect.poll(() => status(page).getAttribute('data-status'), { timeout: 10_000 }).toBe('done');
    await answer(page).locator('a', { hasText: 'click' }).click();
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
    const found = await answer(page).evaluate((el) => ({
      script: el.querySelectorAll('script').length,
      img: el.querySelectorAll('img').length,
      iframe: el.querySelectorAll('iframe').length,
      handlers: [...el.querySelectorAll('*')].filter((node) => [...node.attributes].some((a) => a.name.startsWith('on'))).length,
      hrefs: [...el.querySelectorAll('a')].map((a) => a.getAttribute('href')),
    }));
    expect(found).toEqual({ script: 0, img: 0, iframe: 0, handlers: 0, hrefs: [null] });
    // The fenced HTML is shown as code, as text.
    expect(await answer(page).locator('pre code').textContent()).toBe('<script>window.__pwned = "code"</script>\n');
    expect(await visibleText(page)).toContain('Hello');
    expect(await visibleText(page)).toContain('Done.');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('fits a phone (390×844): the list is behind ☰, the chat takes the width, tool cards wrap', async () => {
    fake.enqueue(
      reply([{ toolCalls: [toolCall('calculator', { expression: '1234567*7654321' }, 'call_phone')] }], { delayMs: 5 }),
      text(
        `The product is **9449772114007**. ${words(12, 'more')}\n\n` +
          '```python\nprint(1234567 * 7654321)  # a long line that must scroll inside its block, not widen the page\n```\n\n' +
          '| factor | other factor | product | a wide column heading |\n|---|---|---|---|\n| 1234567 | 7654321 | 9449772114007 | still fits |\n',
        { delayMs: 5 },
      ),
    );
    const { page, problems } = await openPage({ viewport: { width: 390, height: 844 } });
    expect(await page.locator('#sidebar').evaluate((el) => el.getBoundingClientRect().right)).toBeLessThanOrEqual(0);
    expect(await page.locator('#toggle-list').isVisible()).toBe(true);
    await sendFromPage(page, 'What is 1234567 times 7654321?', ['calculator']);
    await expect.poll(() => status(page).getAttribute('data-status'), { timeout: 10_000 }).toBe('done');

    const layout = await page.evaluate(() => {
      const name = document.querySelector('.tool-name') as HTMLElement;
      const card = document.querySelector('.tool-call') as HTMLElement;
      return {
        main: document.querySelector('main')!.getBoundingClientRect().width,
        page: document.documentElement.scrollWidth,
        nameCut: name.scrollWidth - name.clientWidth,
        nameRight: name.getBoundingClientRect().right,
        cardRight: card.getBoundingClientRect().right,
        cardOverflow: card.scrollWidth - card.clientWidth,
      };
    });
    expect(layout.main).toBeGreaterThanOrEqual(350);
    expect(layout.page).toBeLessThanOrEqual(390);
    expect(layout.nameCut).toBe(0);
    expect(layout.nameRight).toBeLessThanOrEqual(layout.cardRight);
    expect(layout.cardOverflow).toBe(0);
    expect(await page.locator('.tool-name').innerText()).toBe('calculator');
    await screenshot(page, 'phone');

    // ☰ opens the list over the chat; choosing a conversation closes it.
    await page.locator('#toggle-list').click();
    await expect.poll(() => page.locator('#sidebar').evaluate((el) => el.getBoundingClientRect().left)).toBe(0);
    expect(await page.locator('#toggle-list').getAttribute('aria-expanded')).toBe('true');
    await screenshot(page, 'phone-list-open');
    await page.locator('#conversations a.current').click();
    await expect.poll(() => page.locator('#sidebar').evaluate((el) => el.getBoundingClientRect().right)).toBeLessThanOrEqual(0);
    await expect.poll(() => page.locator('#sidebar').isHidden()).toBe(true);
    // A tap beside the open drawer closes it too.
    await page.locator('#toggle-list').click();
    await expect.poll(() => page.locator('#sidebar').isVisible()).toBe(true);
    await page.mouse.click(370, 500);
    await expect.poll(() => page.locator('#sidebar').evaluate((el) => el.getBoundingClientRect().right)).toBeLessThanOrEqual(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('per message and in the list: copy a user message, an empty stopped answer, choices kept across reloads, long titles cut and dated', async () => {
    fake.enqueue(text('never shown', { firstDelayMs: 5_000 }));
    const { page, problems } = await openPage({ clipboard: true });
    await page.locator('#thinking').check();
    const title = `A very long first line that will not fit in the list ${'x'.repeat(30)}`;
    await sendFromPage(page, `${title}\nsecond line`, ['calculator']);
    await expect.poll(() => status(page).getAttribute('data-status')).toBe('streaming');
    await page.locator('#stop').click();
    await expect.poll(() => status(page).getAttribute('data-status'), { timeout: 10_000 }).toBe('cancelled');
    expect(await status(page).innerText()).toBe('Stopped before any answer.');
    await screenshot(page, 'stopped-before-any-answer');

    await page.locator('article.message.user .message-actions button.copy').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(`${title}\nsecond line`);

    const item = page.locator('#conversations a.current');
    const cut = await item.locator('.conversation-title').evaluate((el) => ({
      overflowing: el.scrollWidth > el.clientWidth,
      ellipsis: getComputedStyle(el).textOverflow,
    }));
    expect(cut).toEqual({ overflowing: true, ellipsis: 'ellipsis' });
    expect(await item.getAttribute('title')).toBe(title.slice(0, 59) + '…');
    const date = item.locator('time.conversation-date');
    expect(await date.innerText()).toMatch(/\d/);
    expect(Math.abs(Date.parse((await date.getAttribute('datetime'))!) - Date.now())).toBeLessThan(60_000);

    await page.reload();
    await expect.poll(() => status(page).getAttribute('data-status'), { timeout: 10_000 }).toBe('cancelled');
    expect(await status(page).innerText()).toBe('Stopped before any answer.');
    expect(await page.locator('#thinking').isChecked()).toBe(true);
    await page.locator('#tools input').first().waitFor();
    expect(await page.locator('#tools input:checked').evaluateAll((boxes) => boxes.map((b) => (b as HTMLInputElement).value))).toEqual(['calculator']);
    // Unticking is remembered too.
    await page.locator('#thinking').uncheck();
    await page.locator('#tools input[value=calculator]').uncheck();
    await page.reload();
    await page.locator('#tools input').first().waitFor();
    expect(await page.locator('#thinking').isChecked()).toBe(false);
    expect(await page.locator('#tools input:checked').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });
});
