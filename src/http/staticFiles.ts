import { lstatSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `public/` at the package root: compiled, this file is `dist/src/http/staticFiles.js`. */
export const DEFAULT_PUBLIC_DIR = fileURLToPath(new URL('../../../public/', import.meta.url));

/** Extensions served, with their content types; files of any other type are not served. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
});

export interface StaticFile {
  readonly path: string;
  readonly contentType: string;
}

export interface StaticFiles {
  /** The file for a URL path relative to the root (`''` is `index.html`), or undefined. */
  lookup(urlPath: string): StaticFile | undefined;
  read(file: StaticFile): Promise<Buffer>;
}

/**
 * Serves a directory from an allow list built once by walking it: a request can only name a file
 * that was found there, so `..`, encoded separators, absolute paths and NUL bytes never reach the
 * file system. Symbolic links and dot-files are skipped while walking, so nothing outside the
 * directory (or hidden inside it) is ever listed.
 */
export function createStaticFiles(root: string): StaticFiles {
  const files = new Map<string, StaticFile>();
  const walk = (dir: string, prefix: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      const stat = lstatSync(path);
      if (stat.isDirectory()) walk(path, `${prefix}${name}/`);
      else if (stat.isFile()) {
        const contentType = CONTENT_TYPES[extname(name).toLowerCase()];
        if (contentType !== undefined) files.set(`${prefix}${name}`, { path, contentType });
      }
    }
  };
  walk(root, '');
  return {
    lookup(urlPath) {
      const key = urlPath.replace(/^\/+/, '');
      return files.get(key === '' ? 'index.html' : key);
    },
    read(file) {
      return readFile(file.path);
    },
  };
}
