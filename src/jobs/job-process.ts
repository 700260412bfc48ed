import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DATABASE_URL } from '../database/database-url';
import type { Job } from './jobs.repository';

/** The hidden command a server starts to run one job it claimed: `aisle job:run <jobId>`. */
export const JOB_RUN_COMMAND = 'job:run';

/** What the server sends its child first: the job, and the configuration and database the server itself runs on. */
export interface JobProcessStart {
  type: 'start';
  jobId: string;
  config: AppConfig;
  databaseUrl: string;
}

/** What the child reports back: progress while it runs, then exactly one outcome. */
export type JobProcessMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'result'; result: Record<string, unknown> }
  | { type: 'error'; message: string };

/**
 * `bin/aisle.js`, found from this file whether it runs from the build (`dist/src/jobs`) or from the sources
 * (`src/jobs`, under the test runner): either way the child runs the compiled command line.
 */
export function cliEntry(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'bin', 'aisle.js');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`bin/aisle.js not found above ${from}`);
  }
}

/**
 * Runs claimed jobs in child processes of this server. The server keeps the job: it claimed the row and holds
 * the job's lock for the whole run, writes its progress and records its outcome, so a child killed midway
 * leaves a failed job with a message, never an orphan. Whatever the child allocates (every interaction of the
 * shop, the training threads' buffers) is returned to the system when it exits, so the server's memory stays
 * flat across fine-tunes. A server that stops stops its children; a child whose server disappears stops itself.
 */
@Injectable()
export class JobProcesses implements OnModuleDestroy {
  private readonly logger = new Logger('Jobs');
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
  ) {}

  /** The jobs running in a child process now, with the child's pid (what an operator would signal). */
  running(): Array<{ jobId: string; pid: number }> {
    return [...this.children].map(([jobId, child]) => ({ jobId, pid: child.pid! }));
  }

  /** True once this server has begun to shut down: its children are being stopped. */
  get shuttingDown(): boolean {
    return this.stopping;
  }

  /** Runs `job` (already claimed by this process) in a child process; settles when the child has exited. */
  run(job: Job, progress: (done: number, total: number) => void): Promise<Record<string, unknown>> {
    if (this.stopping) return Promise.reject(new Error('the server is shutting down'));
    return new Promise((resolve, reject) => {
      const child = fork(cliEntry(), [JOB_RUN_COMMAND, job.id], {
        env: process.env,
        // Structured clone: the configuration holds sets (API key scopes), which JSON would lose.
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        // A debugger port can be opened by one process only.
        execArgv: process.execArgv.filter((a) => !a.startsWith('--inspect')),
        // A process group of its own: a terminal's Ctrl-C signals the whole foreground group, and the child must
        // hear of the shutdown from its server (onModuleDestroy), which records what became of the job.
        detached: true,
      });
      this.children.set(job.id, child);
      this.logger.log(`job ${job.id} (${job.kind}) runs in child process ${child.pid}`);
      let outcome: JobProcessMessage | undefined;
      child.on('message', (m: JobProcessMessage) => {
        if (m.type === 'progress') progress(m.done, m.total);
        else outcome ??= m;
      });
      child.once('error', (e) => {
        // Only a failure to start (or to signal) lands here; 'close' still follows when it had started.
        if (child.pid === undefined) {
          this.children.delete(job.id);
          reject(new Error(`could not start the job's process: ${e.message}`));
        }
      });
      // 'close', not 'exit': it comes after the IPC channel has delivered everything the child sent.
      child.once('close', (code, signal) => {
        this.children.delete(job.id);
        if (outcome?.type === 'result' && code === 0) return resolve(outcome.result);
        if (outcome?.type === 'error') return reject(new Error(outcome.message));
        if (signal)
          return reject(
            new Error(
              this.stopping
                ? `the server shut down while the job ran: its process ${child.pid} was stopped (${signal})`
                : `the job's process ${child.pid} was killed by ${signal} before it finished`,
            ),
          );
        reject(new Error(`the job's process ${child.pid} exited with code ${code} before it finished`));
      });
      const start: JobProcessStart = {
        type: 'start',
        jobId: job.id,
        config: this.config,
        databaseUrl: this.databaseUrl,
      };
      child.send(start);
    });
  }

  onModuleDestroy(): void {
    this.stopping = true;
    for (const [jobId, child] of this.children) {
      this.logger.warn(`stopping child process ${child.pid} of job ${jobId}: the server is shutting down`);
      child.kill('SIGTERM');
    }
  }
}
