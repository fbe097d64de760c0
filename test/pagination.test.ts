/**
 * The conversations connection: keyset pages forward and backward, most
 * recently updated first, page-size limits, cursor validation and search.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, describeEachBackend, startServer, type TestServer } from './helpers/server.js';

const PAGE = `query ($first: Int, $after: String, $last: Int, $before: String, $search: String) {
  conversations(first: $first, after: $after, last: $last, before: $before, search: $search) {
    edges { cursor node { id title updatedAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

interface Edge {
  cursor: string;
  node: { id: string; title: string; updatedAt: string };
}
interface Page {
  edges: Edge[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEachBackend('pagination', (backend) => {
  let server: TestServer;
  let token: string;
  /** Titles newest first, as created. */
  let newestFirst: string[];

  beforeAll(async () => {
    server = await startServer({ backend });
    token = await server.token('page-user');
    const titles = Array.from({ length: 25 }, (_, i) => `Conv ${String(i + 1).padStart(2, '0')}`);
    for (const title of titles) {
      const created = await server.gql('mutation ($t: String) { createConversation(input: { title: $t }) { id } }', { t: title }, token);
      expect(created.errors).toBeUndefined();
      // updatedAt has millisecond precision: keep the creation order unambiguous.
      await sleep(3);
    }
    newestFirst = [...titles].reverse();
  });
  afterAll(() => server?.stop());

  async function page(variables: Record<string, unknown>, as = token): Promise<Page> {
    const response = await server.gql(PAGE, variables, as);
    expect(response.errors, JSON.stringify(variables)).toBeUndefined();
    const result = response.data!.conversations as Page;
    if (result.edges.length > 0) {
      expect(result.pageInfo.startCursor).toBe(result.edges[0]!.cursor);
      expect(result.pageInfo.endCursor).toBe(result.edges.at(-1)!.cursor);
    }
    return result;
  }
  const titlesOf = (p: Page) => p.edges.map((e) => e.node.title);

  it('defaults to 20, most recently updated first', async () => {
    const first = await page({});
    expect(titlesOf(first)).toEqual(newestFirst.slice(0, 20));
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const times = first.edges.map((e) => Date.parse(e.node.updatedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('pages forward with first/after through everything', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    const pages: Page[] = [];
    for (;;) {
      const p = await page({ first: 4, after });
      pages.push(p);
      seen.push(...titlesOf(p));
      if (!p.pageInfo.hasNextPage) break;
      expect(p.edges).toHaveLength(4);
      after = p.pageInfo.endCursor;
      expect(pages.length).toBeLessThan(10);
    }
    expect(seen).toEqual(newestFirst);
    expect(pages).toHaveLength(7);
    expect(pages[0]!.pageInfo.hasPreviousPage).toBe(false);
    expect(pages.at(-1)!.edges).toHaveLength(1);
    // A page exactly at the end says there is no next page, and after the last cursor comes nothing.
    const exact = await page({ first: 25 });
    expect(exact.pageInfo.hasNextPage).toBe(false);
    const beyond = await page({ first: 5, after: exact.pageInfo.endCursor });
    expect(beyond.edges).toEqual([]);
    expect(beyond.pageInfo).toMatchObject({ hasNextPage: false, startCursor: null, endCursor: null });
  });

  it('pages backward with last/before through everything', async () => {
    const collected: string[][] = [];
    let before: string | null = null;
    for (let i = 0; i < 10; i++) {
      const p = await page({ last: 4, before });
      collected.unshift(titlesOf(p));
      if (!p.pageInfo.hasPreviousPage) break;
      expect(p.edges).toHaveLength(4);
      before = p.pageInfo.startCursor;
    }
    expect(collected).toHaveLength(7);
    expect(collected.flat()).toEqual(newestFirst);
    // The last page holds the oldest, still newest first within the page.
    const oldest = await page({ last: 3 });
    expect(titlesOf(oldest)).toEqual(['Conv 03', 'Conv 02', 'Conv 01']);
    expect(oldest.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const all = await page({ last: 25 });
    expect(all.pageInfo.hasPreviousPage).toBe(false);
  });

  it('combines after and before, and last with after', async () => {
    const all = await page({ first: 25 });
    const between = await page({ first: 100, after: all.edges[2]!.cursor, before: all.edges[8]!.cursor });
    expect(titlesOf(between)).toEqual(newestFirst.slice(3, 8));
    const lastAfter = await page({ last: 3, after: all.edges[10]!.cursor });
    expect(titlesOf(lastAfter)).toEqual(newestFirst.slice(22));
  });

  it('refuses page sizes over 100, negative sizes, and first with last', async () => {
    expect(codeOf(await server.gql(PAGE, { first: 101 }, token))).toBe('BAD_USER_INPUT');
    expect(codeOf(await server.gql(PAGE, { last: 101 }, token))).toBe('BAD_USER_INPUT');
    expect(codeOf(await server.gql(PAGE, { first: -1 }, token))).toBe('BAD_USER_INPUT');
    expect(codeOf(await server.gql(PAGE, { first: 5, last: 5 }, token))).toBe('BAD_USER_INPUT');
    expect((await page({ first: 100 })).edges).toHaveLength(25);
  });

  it('refuses cursors that are not cursors of this list', async () => {
    const encode = (s: string) => Buffer.from(s).toString('base64url');
    const bad = [
      'garbage',
      'not base64!',
      encode('u:not-a-date:00000000-0000-0000-0000-000000000000'),
      encode('u:2024-01-01T00:00:00.000Z:not-a-uuid'),
      encode('p:12'),
      encode(`u:2024-13-45T99:99:99.999Z:${crypto.randomUUID()}`),
      Buffer.from('Conversation:123').toString('base64'),
    ];
    for (const cursor of bad) {
      for (const arg of ['after', 'before']) {
        const response = await server.gql(PAGE, { first: arg === 'after' ? 5 : undefined, last: arg === 'before' ? 5 : undefined, [arg]: cursor }, token);
        expect(codeOf(response), `${arg}: ${cursor}`).toBe('BAD_USER_INPUT');
        expect(response.errors?.[0]?.message, cursor).toMatch(new RegExp(arg));
      }
    }
  });

  it('moves an updated conversation to the top', async () => {
    const oldest = (await page({ last: 1 })).edges[0]!;
    expect(oldest.node.title).toBe('Conv 01');
    const updated = await server.gql('mutation ($id: ID!) { updateConversation(id: $id, input: { systemPrompt: "x" }) { id } }', { id: oldest.node.id }, token);
    expect(updated.errors).toBeUndefined();
    const top = await page({ first: 3 });
    expect(titlesOf(top)).toEqual(['Conv 01', 'Conv 25', 'Conv 24']);
    // The stale cursor of its old position still pages from where it pointed.
    const after = await page({ first: 2, after: oldest.cursor });
    expect(after.edges).toEqual([]);
    const beforeOld = await page({ last: 2, before: oldest.cursor });
    expect(titlesOf(beforeOld)).toEqual(['Conv 03', 'Conv 02']);
  });

  it('breaks ties in updatedAt by id: no row skipped or repeated', async () => {
    const tied = await server.token('page-tied');
    await server.gql('{ viewer { id } }', {}, tied);
    const [user] = await server.app.database.dataSource.query(`SELECT id FROM users WHERE subject = 'page-tied'`);
    // 23 rows sharing one timestamp, between two rows that do not.
    await server.app.database.dataSource.query(
      `INSERT INTO conversations (user_id, title, updated_at) VALUES ($1, 'older', '2024-01-01T00:00:00.000Z'), ($1, 'newer', '2024-01-03T00:00:00.000Z')`,
      [user.id],
    );
    await server.app.database.dataSource.query(
      `INSERT INTO conversations (user_id, title, updated_at) SELECT $1, 'tied ' || i, '2024-01-02T00:00:00.000Z' FROM generate_series(1, 23) AS i`,
      [user.id],
    );
    const forward: Edge[] = [];
    let after: string | null = null;
    for (let i = 0; i < 20; i++) {
      const p = await page({ first: 4, after }, tied);
      forward.push(...p.edges);
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    const backward: Edge[] = [];
    let before: string | null = null;
    for (let i = 0; i < 20; i++) {
      const p = await page({ last: 4, before }, tied);
      backward.unshift(...p.edges);
      if (!p.pageInfo.hasPreviousPage) break;
      before = p.pageInfo.startCursor;
    }
    const ids = forward.map((e) => e.node.id);
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
    expect(backward.map((e) => e.node.id)).toEqual(ids);
    expect(forward[0]!.node.title).toBe('newer');
    expect(forward.at(-1)!.node.title).toBe('older');
  });

  it('searches titles case-insensitively, taking % and _ literally', async () => {
    const searcher = await server.token('page-searcher');
    const titles = ['100% done', '100 done', 'snake_case', 'snakeXcase', 'Back\\slash', 'MiXeD Case Title', 'Ünïcode Straße', null];
    for (const title of titles) {
      const created = await server.gql('mutation ($t: String) { createConversation(input: { title: $t }) { id } }', { t: title }, searcher);
      expect(created.errors).toBeUndefined();
    }
    const search = async (s: string | null) => titlesOf(await page({ search: s }, searcher)).sort();
    expect(await search('%')).toEqual(['100% done']);
    expect(await search('0%')).toEqual(['100% done']);
    expect(await search('_')).toEqual(['snake_case']);
    expect(await search('e_c')).toEqual(['snake_case']);
    expect(await search('\\')).toEqual(['Back\\slash']);
    expect(await search('mixed case')).toEqual(['MiXeD Case Title']);
    expect(await search('SNAKE')).toEqual(['snakeXcase', 'snake_case'].sort());
    expect(await search('DONE')).toEqual(['100 done', '100% done'].sort());
    expect(await search('straße')).toEqual(['Ünïcode Straße']);
    expect(await search('nothing like this')).toEqual([]);
    expect(await search(null)).toHaveLength(titles.length);
    // Search with paging.
    const first = await page({ search: 'done', first: 1 }, searcher);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page({ search: 'done', first: 1, after: first.pageInfo.endCursor }, searcher);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect([...titlesOf(first), ...titlesOf(second)].sort()).toEqual(['100 done', '100% done'].sort());
    // Search never reaches another user's titles.
    expect(titlesOf(await page({ search: 'Conv' }, searcher))).toEqual([]);
  });
});
