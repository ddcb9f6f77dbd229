import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { contentSecurityPolicy } from '../../src/http/contentSecurityPolicy.js';
import { createStaticFiles, DEFAULT_PUBLIC_DIR } from '../../src/http/staticFiles.js';
import { servePage, type PageDependencies } from '../../src/functions/page.js';
import { createContext, headerOf, HttpRequest, responseText } from '../helpers/functions.js';

const SECRET = 'the secret outside public';

function get(path: string | undefined): InstanceType<typeof HttpRequest> {
  return new HttpRequest({ method: 'GET', url: 'http://localhost:7071/', params: path === undefined ? {} : { path } });
}

void describe('page: the real public/ folder', () => {
  const deps: PageDependencies = { staticFiles: createStaticFiles(DEFAULT_PUBLIC_DIR), contentSecurityPolicy: contentSecurityPolicy('http://localhost:8080') };

  void it('serves index.html at / and /index.html with security headers', async () => {
    const { context } = createContext('page');
    for (const path of [undefined, '', 'index.html']) {
      const response = await servePage(get(path), context, deps);
      assert.equal(response.status, 200);
      assert.equal(headerOf(response, 'content-type'), 'text/html; charset=utf-8');
      assert.equal(headerOf(response, 'x-content-type-options'), 'nosniff');
      const csp = headerOf(response, 'content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /connect-src 'self' ws:\/\/localhost:8080/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
      assert.match(await responseText(response), /<script type="module" src="js\/app\.js"><\/script>/);
    }
  });

  void it('serves the page scripts and styles with their content types', async () => {
    const { context } = createContext('page');
    for (const [path, type] of [
      ['js/app.js', 'text/javascript; charset=utf-8'],
      ['js/render.js', 'text/javascript; charset=utf-8'],
      ['css/chat.css', 'text/css; charset=utf-8'],
    ]) {
      const response = await servePage(get(path), context, deps);
      assert.equal(response.status, 200, path);
      assert.equal(headerOf(response, 'content-type'), type);
    }
  });

  void it('never puts user text into markup: the page scripts use no innerHTML', async () => {
    const { context } = createContext('page');
    for (const path of ['js/app.js', 'js/render.js', 'js/connection.js']) {
      const source = await responseText(await servePage(get(path), context, deps));
      assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, path);
    }
  });
});

void describe('page: path traversal', () => {
  let root: string;
  let deps: PageDependencies;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'page-test-'));
    const publicDir = join(root, 'public');
    mkdirSync(join(publicDir, 'js'), { recursive: true });
    writeFileSync(join(publicDir, 'index.html'), '<p>index</p>');
    writeFileSync(join(publicDir, 'js', 'app.js'), 'export {};');
    writeFileSync(join(publicDir, '.env'), SECRET);
    writeFileSync(join(publicDir, 'notes.md'), SECRET);
    writeFileSync(join(root, 'local.settings.json'), SECRET);
    symlinkSync(join(root, 'local.settings.json'), join(publicDir, 'link.json'));
    symlinkSync(root, join(publicDir, 'up'));
    deps = { staticFiles: createStaticFiles(publicDir), contentSecurityPolicy: contentSecurityPolicy('http://localhost:8080') };
  });

  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  void it('answers 404 and never a byte from outside public/', async () => {
    const attempts = [
      '../local.settings.json',
      '..%2flocal.settings.json',
      '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '%252e%252e%252f',
      '..\\..\\local.settings.json',
      '..%5c..%5clocal.settings.json',
      '....//local.settings.json',
      'index.html%00.html',
      'index.html\u0000.js',
      '/etc/passwd',
      '//etc/passwd',
      'link.json',
      'up/local.settings.json',
      '.env',
      'notes.md',
      'js',
      'js/',
      'JS/APP.JS',
      '__proto__',
      'constructor',
    ];
    const { context } = createContext('page');
    for (const path of attempts) {
      const response = await servePage(get(path), context, deps);
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(await responseText(response), new RegExp(SECRET), path);
    }
  });

  void it('still serves what is inside', async () => {
    const { context } = createContext('page');
    assert.equal(await responseText(await servePage(get('js/app.js'), context, deps)), 'export {};');
    assert.equal(await responseText(await servePage(get('/index.html'), context, deps)), '<p>index</p>');
  });
});
