// One factory builds every package: ESM JavaScript plus bundled .d.ts per entry.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dts } from 'rollup-plugin-dts';
import esbuild from 'rollup-plugin-esbuild';

/** Entries per package: the keys of its `exports` map, minus package.json. */
function entriesOf(dir) {
  const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'));
  const names = Object.keys(pkg.exports).filter((key) => key !== './package.json');
  const input = Object.fromEntries(
    names.map((key) => {
      const name = key === '.' ? 'index' : key.slice(2);
      return [name, `${dir}/src/${name}.ts`];
    }),
  );
  const deps = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
  const external = (id) => id.startsWith('node:') || deps.some((dep) => id === dep || id.startsWith(`${dep}/`));
  return { input, external };
}

function buildPackage(dir) {
  const { input, external } = entriesOf(dir);
  // Chunk names carry a hash: without a clean start, old chunks pile up in dist and get published.
  rmSync(`${dir}/dist`, { recursive: true, force: true });
  return [
    {
      input,
      external,
      plugins: [esbuild({ target: 'es2022', tsconfig: 'tsconfig.json' })],
      output: { dir: `${dir}/dist`, format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    },
    {
      input,
      external,
      plugins: [dts({ tsconfig: 'tsconfig.json', compilerOptions: { paths: {} } })],
      output: { dir: `${dir}/dist`, format: 'esm', entryFileNames: '[name].d.ts', chunkFileNames: '[name]-[hash].d.ts' },
    },
  ];
}

export default readdirSync('packages')
  .map((name) => `packages/${name}`)
  .filter((dir) => existsSync(`${dir}/src/index.ts`))
  .flatMap(buildPackage);
