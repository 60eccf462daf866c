import type { RollupOptions } from 'rollup';

export interface SpaBuildOptions {
  /** Default `examples/spa/dist`. */
  outDir?: string;
  /** `dist` (default): the built @tokenward packages, as an installed app would. `src`: their sources. */
  packages?: 'dist' | 'src';
}

export declare const distDir: string;
export declare function spaConfig(options?: SpaBuildOptions): RollupOptions & { output: { dir: string } };
export declare function buildSpa(options?: SpaBuildOptions): Promise<string>;
