import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { withTimeout } from '../helpers/waitFor.js';

const START = new URL('../../scripts/start.js', import.meta.url).pathname;

/**
 * A port that is free now, below the ephemeral range (32768 and up on Linux): servers that other
 * tests start on port 0 get ephemeral ports, so they cannot take it before the script binds it.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => {
        resolve(false);
      });
      server.listen(port, '127.0.0.1', () => {
        resolve(true);
      });
    });
    if (free) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  waitForOutput(pattern: RegExp, what: string): Promise<void>;
}

function start(args: string[]): Started {
  // An Azure setting left in the shell must not stop the local stack: start drops it.
  const env = { ...process.env, WEBPUBSUB_ENDPOINT: 'https://ignored.example' };
  const child = spawn(process.execPath, [START, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let text = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer): void => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    resolve(code);
  }));
  return {
    child,
    output: () => text,
    exited,
    waitForOutput: (pattern, what) =>
      withTimeout(
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (pattern.test(text)) resolve();
          };
          listeners.add(check);
          check();
        }),
        30_000,
        `${what}; output so far:\n${text}`,
      ),
  };
}

void describe('npm start (scripts/start.ts)', () => {
  const started: Started[] = [];
  after(() => {
    for (const run of started) if (run.child.exitCode === null) run.child.kill('SIGKILL');
  });

  void it('starts the emulator and the runner, prints one banner with the chat URL, and stops on SIGTERM', async () => {
    const appPort = await freePort();
    const emulatorPort = await freePort();
    const run = start(['--app-port', String(appPort), '--emulator-port', String(emulatorPort)]);
    started.push(run);
    await run.waitForOutput(/Press Ctrl\+C to stop/, 'the banner');
    const chatUrl = `http://localhost:${appPort}/`;
    assert.ok(run.output().includes(`Chat:        ${chatUrl}`), run.output());
    assert.equal(run.output().match(/listening on/g)?.length ?? 0, 0, 'the children keep their own banners to themselves');

    const page = await fetch(chatUrl);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Web PubSub Chat/);
    const negotiated = (await (await fetch(`${chatUrl}negotiate?id=alice`)).json()) as { url: string };
    assert.ok(negotiated.url.startsWith(`ws://localhost:${emulatorPort}/client/hubs/Sample_ChatApp?access_token=`));

    // The chat works through both processes: alice's own message comes back.
    const socket = new WebSocket(negotiated.url);
    const echoed = new Promise<unknown>((resolve) => {
      socket.on('message', (data) => {
        const payload = JSON.parse((data as Buffer).toString()) as { kind?: string };
        if (payload.kind === 'message') resolve(payload);
      });
    });
    await withTimeout(new Promise((resolve) => socket.once('open', resolve)), 10_000, 'socket open');
    socket.send('hello through npm start');
    const echo = (await withTimeout(echoed, 10_000, 'the echo')) as { from: string; message: string };
    assert.equal(echo.from, 'alice');
    assert.equal(echo.message, 'hello through npm start');
    socket.close();

    run.child.kill('SIGTERM');
    assert.equal(await withTimeout(run.exited, 15_000, 'npm start to exit'), 0);
    // Both ports are free again: the children are gone.
    for (const port of [appPort, emulatorPort]) {
      const probe: Server = createServer();
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen(port, 'localhost', resolve);
      });
      await new Promise((resolve) => probe.close(resolve));
    }
  });

  void it('says clearly when a port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, 'localhost', resolve));
    const busyPort = (blocker.address() as AddressInfo).port;
    try {
      const run = start(['--app-port', String(busyPort), '--emulator-port', String(await freePort())]);
      started.push(run);
      assert.equal(await withTimeout(run.exited, 15_000, 'npm start to give up'), 1);
      assert.match(run.output(), new RegExp(`Port ${busyPort} \\(chat app\\) is already in use`));
      assert.match(run.output(), /--app-port/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  void it('refuses bad arguments', async () => {
    const run = start(['--app-port', 'seventy']);
    started.push(run);
    assert.equal(await withTimeout(run.exited, 15_000, 'npm start to give up'), 1);
    assert.match(run.output(), /--app-port must be a port number/);
  });
});
