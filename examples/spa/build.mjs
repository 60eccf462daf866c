// Builds the demo page into dist/: src/main.ts bundled with rollup, plus index.html and styles.css.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { rollup } from 'rollup';
import esbuild from 'rollup-plugin-esbuild';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/** Where `npm run build` and `npm start` put the page. */
export const distDir = here('./dist');

/**
 * The rollup options. `packages: 'dist'` (the default) bundles the built @tokenward packages, as an
 * app that installed them would; `'src'` bundles their sources, so tests need no package build.
 */
export function spaConfig({ outDir = distDir, packages = 'dist' } = {}) {
  return {
    input: here('./src/main.ts'),
    plugins: [
      packages === 'src' && fromSources(),
      nodeResolve({ browser: true }),
      esbuild({ target: 'es2022', tsconfig: here('../../tsconfig.json'), minify: true }),
      staticFiles(['index.html', 'src/styles.css']),
    ],
    output: { dir: outDir, format: 'esm', entryFileNames: 'main.js', sourcemap: true },
  };
}

/** Builds the page; resolves to the output directory. */
export async function buildSpa(options = {}) {
  const config = spaConfig(options);
  const bundle = await rollup(config);
  try {
    await bundle.write(config.output);
  } finally {
    await bundle.close();
  }
  return config.output.dir;
}

function fromSources() {
  const sources = { '@tokenward/core': '../../packages/core/src/index.ts', '@tokenward/browser': '../../packages/browser/src/index.ts' };
  return {
    name: 'tokenward-sources',
    resolveId: (id) => (id in sources ? here(sources[id]) : null),
  };
}

function staticFiles(files) {
  return {
    name: 'static-files',
    async generateBundle() {
      for (const file of files) {
        this.emitFile({ type: 'asset', fileName: file.split('/').pop(), source: await readFile(here(`./${file}`)) });
      }
    },
  };
}
