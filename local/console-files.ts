/** The console's static files (local/console/), served by the local stack and by the stage console. */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';

const CONSOLE_DIR = join(__dirname, 'console');

const CONSOLE_FILES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/console': 'index.html',
  '/console/': 'index.html',
  '/console/console.js': 'console.js',
  '/console/chart.js': 'chart.js',
  '/console/console.css': 'console.css',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/**
 * Sent with every file: the page loads nothing from elsewhere (it works offline, and a payload shown
 * in it cannot load or run anything), no other site may frame it, and no Referer leaves it.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** The page's placeholder for the console token, which its script sends with each request (stage console only). */
const TOKEN_META = '<meta name="console-token" content="">';

export function isConsolePath(path: string): boolean {
  return path === '/' || path === '/console' || path.startsWith('/console/');
}

/**
 * Serves a console file. With `token` (the stage console), the page carries it for its script: only
 * a page of this origin can read it, as the server sends no CORS headers.
 */
export async function serveConsole(response: ServerResponse, path: string, token?: string): Promise<void> {
  const file = CONSOLE_FILES[path];
  if (!file) {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: `No console file ${path}` } }));
    return;
  }
  let content: string | Buffer = await readFile(join(CONSOLE_DIR, file));
  if (file === 'index.html' && token !== undefined) content = content.toString('utf8').replace(TOKEN_META, `<meta name="console-token" content="${token}">`);
  response.writeHead(200, { 'content-type': CONTENT_TYPES[file.split('.').pop()!]!, ...PAGE_HEADERS });
  response.end(content);
}
