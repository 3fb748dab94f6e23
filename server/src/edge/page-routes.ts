import type { FastifyInstance } from 'fastify';

/** Placeholder join page until the browser client is built and served from client/dist. */
const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Confero</title></head>
<body><h1>Confero</h1><p>The SFU is running. The browser client is not built yet.</p>
<p><a href="/healthz">/healthz</a></p></body></html>`;

export async function registerPageRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(PLACEHOLDER));
}
