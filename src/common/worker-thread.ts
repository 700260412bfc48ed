import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker module `<dir>/<name>.js` when running compiled (`dist/`); from TypeScript sources (jest,
 * ts-node) the worker registers ts-node (transpile-only: types were checked already) and loads `<name>.ts`.
 * `dir` is the caller's `__dirname`.
 */
export function startWorker(dir: string, name: string, workerData: unknown, callerFile: string): Worker {
  const compiled = path.join(dir, `${name}.js`);
  if (path.extname(callerFile) === '.js' && existsSync(compiled)) {
    return new Worker(compiled, { workerData });
  }
  const source = path.join(dir, `${name}.ts`);
  const boot = `require(${JSON.stringify(require.resolve('ts-node/register/transpile-only'))}); require(${JSON.stringify(source)});`;
  return new Worker(boot, {
    eval: true,
    workerData,
    env: tsNodeEnv(),
  });
}

/** Environment for a thread or process that runs TypeScript sources through ts-node (tests, ts-node runs). */
export function tsNodeEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TS_NODE_SKIP_PROJECT: 'true',
    TS_NODE_COMPILER_OPTIONS: JSON.stringify({
      module: 'commonjs',
      moduleResolution: 'node',
      target: 'es2022',
      esModuleInterop: true,
    }),
  };
}
