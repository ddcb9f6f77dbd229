/**
 * `listConnectionsInGroup` paging against a running emulator: the SDK walks three pages through
 * nextLink; `top` caps the total; continuation tokens stay valid and consistent while members
 * join and leave between pages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { closeAll, connect, rest, serviceClient, type Connected } from './rest-fixtures.js';

interface PageBody {
  value: { connectionId: string; userId?: string }[];
  nextLink?: string;
}

void describe('REST listConnections paging', () => {
  let emulator: StartedEmulator;
  const opened: Connected[] = [];

  before(async () => {
    emulator = await startEmulator();
  });
  after(async () => {
    await closeAll(opened);
    await emulator.close();
  });

  async function fill(hub: string, group: string, count: number): Promise<Connected[]> {
    const service = serviceClient(emulator, hub);
    const members: Connected[] = [];
    for (let i = 0; i < count; i++) members.push(await connect(service, { userId: `user-${i}`, groups: [group] }));
    opened.push(...members);
    return members;
  }

  const byId = (ids: string[]): string[] => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  void it('the SDK follows nextLink across three pages and gets every member once', async () => {
    const members = await fill('paging', 'room', 7);
    const service = serviceClient(emulator, 'paging');
    const pages: string[][] = [];
    for await (const page of (await service.group('room').listConnections({ maxPageSize: 3 })).byPage()) {
      pages.push(page.map((member) => member.connectionId));
    }
    assert.deepEqual(pages.map((page) => page.length), [3, 3, 1]);
    assert.deepEqual(pages.flat(), byId(members.map((m) => m.connectionId)));

    const limited = [];
    for await (const member of await service.group('room').listConnections({ maxPageSize: 2, top: 5 })) limited.push(member);
    assert.equal(limited.length, 5);
    assert.ok(limited.every((member) => member.userId?.startsWith('user-')));
  });

  void it('nextLink carries api-version, maxpagesize, the remaining top and the token', async () => {
    await fill('links', 'room', 5);
    const first = (await (await rest(emulator, 'GET', '/api/hubs/links/groups/room/connections?api-version=2023-07-01&maxpagesize=2&top=4')).json()) as PageBody;
    assert.equal(first.value.length, 2);
    const next = new URL(first.nextLink!);
    assert.equal(next.origin, emulator.endpoint);
    assert.equal(next.pathname, '/api/hubs/links/groups/room/connections');
    assert.equal(next.searchParams.get('api-version'), '2023-07-01');
    assert.equal(next.searchParams.get('maxpagesize'), '2');
    assert.equal(next.searchParams.get('top'), '2');
    assert.ok(next.searchParams.get('continuationToken'));

    const second = (await (await rest(emulator, 'GET', `${next.pathname}${next.search}`)).json()) as PageBody;
    assert.equal(second.value.length, 2);
    assert.equal(second.nextLink, undefined, 'top is used up');
  });

  void it('pages neither repeat nor skip members that stay while others join and leave', async () => {
    const members = await fill('churn', 'room', 6);
    const service = serviceClient(emulator, 'churn');
    const read = async (pathAndQuery: string): Promise<PageBody> => (await (await rest(emulator, 'GET', pathAndQuery)).json()) as PageBody;
    const first = await read('/api/hubs/churn/groups/room/connections?maxpagesize=2');
    const firstIds = first.value.map((m) => m.connectionId);
    const sorted = byId(members.map((m) => m.connectionId));
    assert.deepEqual(firstIds, sorted.slice(0, 2));

    // Between pages: the cursor's own connection leaves, a not-yet-listed one leaves, one joins.
    const cursor = members.find((m) => m.connectionId === firstIds[1])!;
    const leaving = members.find((m) => m.connectionId === sorted[4])!;
    await service.closeConnection(cursor.connectionId);
    await service.group('room').removeConnection(leaving.connectionId);
    const joined = await connect(service, { userId: 'late', groups: ['room'] });
    opened.push(joined);

    const rest2: string[] = [];
    let link = first.nextLink;
    while (link !== undefined) {
      const url = new URL(link);
      const page = await read(`${url.pathname}${url.search}`);
      rest2.push(...page.value.map((m) => m.connectionId));
      link = page.nextLink;
    }
    const stayed = sorted.slice(2).filter((id) => id !== leaving.connectionId);
    const expected = byId(joined.connectionId > firstIds[1]! ? [...stayed, joined.connectionId] : stayed);
    assert.deepEqual(rest2, expected);
    assert.equal(new Set([...firstIds, ...rest2]).size, firstIds.length + rest2.length, 'no member twice');
  });

  void it('a token only works for the hub and group it came from', async () => {
    await fill('scoped', 'room', 3);
    await fill('scoped', 'other', 3);
    const first = (await (await rest(emulator, 'GET', '/api/hubs/scoped/groups/room/connections?maxpagesize=1')).json()) as PageBody;
    const token = new URL(first.nextLink!).searchParams.get('continuationToken')!;
    const elsewhere = await rest(emulator, 'GET', `/api/hubs/scoped/groups/other/connections?continuationToken=${encodeURIComponent(token)}`);
    assert.equal(elsewhere.status, 400);
    assert.equal(((await elsewhere.json()) as { code: string }).code, 'Error.BadRequest');
    const tampered = await rest(emulator, 'GET', `/api/hubs/scoped/groups/room/connections?continuationToken=${encodeURIComponent(`A${token}`)}`);
    assert.equal(tampered.status, 400);
    const otherCase = await rest(emulator, 'GET', `/api/hubs/SCOPED/groups/room/connections?continuationToken=${encodeURIComponent(token)}`);
    assert.equal(otherCase.status, 200);
  });
});
