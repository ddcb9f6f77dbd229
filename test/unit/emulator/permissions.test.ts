import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Permissions } from '../../../emulator/hub/permissions.js';
import { compileWildcard } from '../../../emulator/hub/wildcard.js';

void describe('wildcard group patterns', () => {
  const cases: [string, string, boolean][] = [
    ['room-*', 'room-1', true],
    ['room-*', 'room-', true],
    ['room-*', 'room-1.x', false],
    ['room-?', 'room-1', true],
    ['room-?', 'room-12', false],
    ['room-?', 'room-.', false],
    ['news.**', 'news.eu.fr', true],
    ['news.**', 'news.', true],
    ['news.**', 'news', false],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['a\\?', 'a?', true],
    ['a\\\\b', 'a\\b', true],
    ['Room', 'room', false],
  ];
  for (const [pattern, group, expected] of cases) {
    void it(`${pattern} ${expected ? 'matches' : 'does not match'} ${group}`, () => { assert.equal(compileWildcard(pattern)?.matches(group), expected); });
  }

  void it('refuses malformed patterns', () => {
    for (const pattern of ['', 'a\\', 'a\\b', '*.*.*.*.*.*', '**.**.**']) assert.equal(compileWildcard(pattern), undefined, pattern);
  });

  void it('stays fast on adversarial input', () => {
    const pattern = compileWildcard('*a*a*a*a*b');
    const started = process.hrtime.bigint();
    assert.equal(pattern?.matches('a'.repeat(1024)), false);
    assert.ok(process.hrtime.bigint() - started < 50_000_000n);
  });
});

void describe('connection permissions', () => {
  void it('reads roles for every group, one group, and patterns', () => {
    const permissions = Permissions.fromRoles(['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup.g1', 'webpubsub.sendToGroups.team-*', 'unrelated', 'webpubsub.sendToGroupX']);
    assert.equal(permissions.has('joinLeaveGroup', 'anything'), true);
    assert.equal(permissions.has('sendToGroup', 'g1'), true);
    assert.equal(permissions.has('sendToGroup', 'team-red'), true);
    assert.equal(permissions.has('sendToGroup', 'g2'), false);
    assert.equal(permissions.has('sendToGroup', undefined), false);
  });

  void it('grants and revokes at runtime', () => {
    const permissions = Permissions.fromRoles([]);
    permissions.grant('sendToGroup', 'g');
    assert.equal(permissions.has('sendToGroup', 'g'), true);
    permissions.revoke('sendToGroup', 'g');
    assert.equal(permissions.has('sendToGroup', 'g'), false);
    permissions.grant('joinLeaveGroup', undefined);
    assert.equal(permissions.has('joinLeaveGroup', 'x'), true);
    permissions.revoke('joinLeaveGroup', undefined);
    assert.equal(permissions.has('joinLeaveGroup', 'x'), false);
  });
});
