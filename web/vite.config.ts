import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const methodology = fileURLToPath(new URL('../docs/methodology.md', import.meta.url));

/** Ships docs/methodology.md in the build, so an installed package (no docs/) can still serve it. */
function methodologyCopy(): Plugin {
  return {
    name: 'greenprint-methodology-copy',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'methodology.md', source: readFileSync(methodology, 'utf8') });
    },
  };
}

// The dashboard SPA: web/ → dist/web, served by src/dashboard at / (deep links under /dashboard/).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  plugins: [methodologyCopy()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1200,
  },
  logLevel: 'warn',
});
