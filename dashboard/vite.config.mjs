// Builds the dashboard into dashboard/dist, served by the service at /dashboard (src/dashboard/dashboard.module.ts).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
  // `npm run dev:dashboard` against a server on :3000.
  server: { proxy: { '/v1': 'http://localhost:3000' } },
});
