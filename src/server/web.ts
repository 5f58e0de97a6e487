import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';
import type { AppEnv } from './http.ts';

/** Where `npm run build:web` (also run at install) puts the web app. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** Paths that belong to the server itself: never answered with the app. */
const SERVER_PATHS = /^\/(api|healthz|metrics)(\/|$)/;

const notBuilt = (root: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tributary: web app not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>The web app is not built yet</h1>
<p>The server found no <code>index.html</code> in <code>${root}</code>. Build it with</p>
<pre>npm run build:web</pre>
<p>(<code>npm install</code> and <code>npm ci</code> build it too), then reload this page. The API works meanwhile: <a href="/api/docs">/api/docs</a>.</p>
</body></html>`;

/**
 * The single-page app: files from the build as they are, and index.html for any other GET, so a
 * reloaded /contributors/42 opens the app there. Vite names assets by content hash, so they are cached
 * for a year; index.html is revalidated every time so a new build is picked up at once.
 */
export function webApp(root = DEFAULT_WEB_ROOT) {
  const base = resolve(root);
  /** The app's answer, or undefined for what is not the app's (the caller answers 404). */
  return async (c: Context<AppEnv>): Promise<Response | undefined> => {
    if ((c.req.method !== 'GET' && c.req.method !== 'HEAD') || SERVER_PATHS.test(c.req.path)) return undefined;
    let path: string;
    try {
      path = decodeURIComponent(c.req.path);
    } catch {
      return undefined;
    }
    const wanted = resolve(base, `.${path}`);
    // resolve() has already folded any "..": anything outside the build is not ours to serve.
    const inside = wanted.startsWith(base + sep);
    const file = inside && (await isFile(wanted)) ? wanted : resolve(base, 'index.html');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return c.html(notBuilt(base), 503);
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const immutable = file.startsWith(resolve(base, 'assets') + sep);
    c.header('content-type', type);
    c.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    return c.body(new Uint8Array(body), 200);
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
