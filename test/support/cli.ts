import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
/** The compiled command line; `npm test` builds it first. */
export const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

/**
 * Builds the command line when a spec runs without `npm test` (which builds first). `nest build` may report type
 * errors elsewhere and still emit: what matters is the entry point.
 */
export function ensureCliBuilt(): void {
  if (fs.existsSync(CLI)) return;
  const build = spawnSync('npx', ['nest', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  if (!fs.existsSync(CLI)) throw new Error(`could not build ${CLI}:\n${build.stdout}\n${build.stderr}`);
}

export interface CliRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
}

/**
 * Starts `aisle <args>` as its own process (so it can be killed mid-job); API_KEYS is never inherited. With
 * `ownGroup` it leads a process group of its own, as a command started from a terminal does: `process.kill(-pid)`
 * then signals it and every process it started in that group, as the terminal's Ctrl-C does.
 */
export function spawnCli(args: string[], env: Record<string, string>, ownGroup = false): CliRun {
  const full: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...env };
  delete full.API_KEYS;
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: full,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: ownGroup,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    },
  );
  return { child, done };
}
