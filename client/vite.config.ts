import { defineConfig } from 'vite';

// `npx vite client` serves the page with hot reload on :5173 and proxies signalling to a server on :3000.
export default defineConfig({
  root: import.meta.dirname,
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
  server: { proxy: { '/ws': { target: 'ws://127.0.0.1:3000', ws: true } } },
});
