/**
 * The browser client: Vite's production build in client/dist, served at /. Any unknown path without a
 * file extension gets index.html, so invite links like /?room=x&name=y and deep links just work. When the
 * client has not been built, a placeholder says how to build it instead of a bare 404.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

export const CLIENT_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../client/dist');

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Confero</title></head>
<body><h1>Confero</h1><p>The SFU is running, but the browser client is not built: run <code>npm start</code>
(or <code>npx vite build client</code>).</p><p><a href="/healthz">/healthz</a></p></body></html>`;

export async function registerPageRoutes(app: FastifyInstance, distDir = CLIENT_DIST): Promise<void> {
  if (!fs.existsSync(path.join(distDir, 'index.html'))) {
    app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(PLACEHOLDER));
    return;
  }
  await app.register(fastifyStatic, { root: distDir, index: ['index.html'], wildcard: false });
  app.setNotFoundHandler((request, reply) => {
    if (request.method === 'GET' && !path.extname(request.url.split('?')[0] ?? '')) {
      return reply.type('text/html; charset=utf-8').sendFile('index.html');
    }
    return reply.code(404).send({ error: 'not found' });
  });
}
