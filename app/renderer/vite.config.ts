import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Absolute folders from this file's URL (no node: imports in renderer code, even its config).
const here = decodeURIComponent(new URL('.', import.meta.url).pathname);

// Relative asset paths so the same build loads from http:// (browser mode) and file:// (Electron).
export default defineConfig({
  root: here,
  base: './',
  plugins: [react()],
  build: {
    outDir: `${here}../../dist/renderer`,
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 2000,
  },
});
