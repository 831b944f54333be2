/** The console's static files (local/console/), served by the local stack's HTTP server. */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';

const CONSOLE_DIR = join(__dirname, 'console');

const CONSOLE_FILES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/console': 'index.html',
  '/console/': 'index.html',
  '/console/console.js': 'console.js',
  '/console/console.css': 'console.css',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

export function isConsolePath(path: string): boolean {
  return path === '/' || path === '/console' || path.startsWith('/console/');
}

export async function serveConsole(response: ServerResponse, path: string): Promise<void> {
  const file = CONSOLE_FILES[path];
  if (!file) {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: `No console file ${path}` } }));
    return;
  }
  const content = await readFile(join(CONSOLE_DIR, file));
  response.writeHead(200, { 'content-type': CONTENT_TYPES[file.split('.').pop()!]!, 'cache-control': 'no-store' });
  response.end(content);
}
