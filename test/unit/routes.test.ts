import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRoute, matchRoute, RouteTemplateError, sortRoutes } from '../../runner/routes.js';

void describe('runner routes', () => {
  void it('matches literal routes case-insensitively, ignoring a trailing slash', () => {
    const route = compileRoute('negotiate', 'n');
    assert.deepEqual(matchRoute(route, '/negotiate'), {});
    assert.deepEqual(matchRoute(route, '/Negotiate/'), {});
    assert.equal(matchRoute(route, '/negotiate/x'), undefined);
    assert.equal(matchRoute(route, '/'), undefined);
  });

  void it('binds parameters, optional parameters and catch-alls, decoded', () => {
    assert.deepEqual(matchRoute(compileRoute('items/{id}', 'x'), '/items/a%20b'), { id: 'a b' });
    assert.equal(matchRoute(compileRoute('items/{id}', 'x'), '/items'), undefined);
    assert.deepEqual(matchRoute(compileRoute('{page?}', 'x'), '/'), {});
    assert.deepEqual(matchRoute(compileRoute('{page?}', 'x'), '/home'), { page: 'home' });
    assert.deepEqual(matchRoute(compileRoute('items/{id:int}', 'x'), '/items/5'), { id: '5' });
    const all = compileRoute('{*path}', 'x');
    assert.deepEqual(matchRoute(all, '/'), { path: '' });
    assert.deepEqual(matchRoute(all, '/js/app.js'), { path: 'js/app.js' });
    assert.deepEqual(matchRoute(all, '/a%2Fb/c'), { path: 'a%2Fb/c' }, 'an encoded slash stays encoded');
    assert.deepEqual(matchRoute(all, '/%2e%2e/x'), { path: '../x' });
    assert.equal(matchRoute(all, '/%E0%A4%A'), undefined, 'malformed escapes match nothing');
  });

  void it('orders the most specific route first', () => {
    const sorted = sortRoutes([compileRoute('{*path}', 'page'), compileRoute('{name?}', 'optional'), compileRoute('items/{id}', 'item'), compileRoute('negotiate', 'negotiate')]);
    assert.deepEqual(
      sorted.map((route) => route.target),
      ['negotiate', 'item', 'optional', 'page'],
    );
  });

  void it('rejects templates it does not understand', () => {
    assert.throws(() => compileRoute('{*rest}/x', 'x'), RouteTemplateError);
    assert.throws(() => compileRoute('a{b}', 'x'), RouteTemplateError);
    assert.throws(() => compileRoute('{}', 'x'), RouteTemplateError);
  });
});
