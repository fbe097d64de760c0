// Builds the chat page into web/dist, which the server serves at `/`.
// `npm run build:web` runs `vite build web` (this folder is the root).
// For development, `npx vite web` serves the page with hot reload and
// forwards /graphql (HTTP and WebSocket) to a server on port 4000.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true } },
  },
});
