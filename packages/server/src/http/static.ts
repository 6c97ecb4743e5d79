/**
 * Serves the web UI's built bundle (dist/web). Unknown paths without an extension get
 * index.html so the UI can route on the client; nothing outside the directory is reachable.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PuduError, apiPath } from '@pudu/schema';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
  '.woff2': 'font/woff2', '.map': 'application/json', '.txt': 'text/plain; charset=utf-8',
};

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

/** Sends the file under `root` that the URL names, or index.html for client-side routes. */
export async function serveStatic(root: string, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const path = decodeURIComponent(req.url.split('?')[0] ?? '/');
  const rel = normalize(path).replace(/^([/\\])+/, '');
  let file = join(root, rel || 'index.html');
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep) && file !== root) throw new PuduError('NOT_FOUND', `no file ${path}`);
  if (!(await isFile(file))) {
    if (extname(rel)) throw new PuduError('NOT_FOUND', `no file ${path}`);
    file = join(root, 'index.html');
    if (!(await isFile(file))) {
      return reply.code(200).type('text/plain; charset=utf-8').send(`Pudu server is running. The web UI is not built here (run \`make build\`); the API is described at ${apiPath('getOpenApi')}.\n`);
    }
  }
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  // A strict CSP: the UI is served from here, with no CDN; the replay player's terminal is WebAssembly (wasm-unsafe-eval allows compiling it, not eval).
  return reply
    .type(type)
    .header('content-security-policy', "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
    .header('x-content-type-options', 'nosniff')
    .send(await readFile(file));
}
