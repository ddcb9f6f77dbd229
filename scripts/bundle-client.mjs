#!/usr/bin/env node
// Bundles the browser entry (public/js/chat-client.entry.js imports @azure/web-pubsub-client) into
// public/vendor/, so the page loads one script from its own origin and nothing from a CDN.
import { build } from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const entry = join(root, 'public', 'js', 'webpubsub-client.entry.js');
if (!existsSync(entry)) process.exit(0);
mkdirSync(join(root, 'public', 'vendor'), { recursive: true });
await build({
  entryPoints: [entry],
  outfile: join(root, 'public', 'vendor', 'webpubsub-client.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  logLevel: 'warning',
});
