import { NestFactory } from '@nestjs/core';
import { Command } from 'commander';
import { Logger } from 'nestjs-pino';
import { AppModule } from '../app.module';
import { JOB_RUN_COMMAND, type JobProcessMessage, type JobProcessStart } from '../jobs/job-process';
import { JobsService } from '../jobs/jobs.service';
import { stderrLog } from './context';

/** Progress messages at most this often: a training loop reports every step. */
const PROGRESS_EVERY_MS = 250;

function send(message: JobProcessMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
}

function startMessage(): Promise<JobProcessStart> {
  return new Promise((resolve) => {
    const onMessage = (m: JobProcessStart) => {
      if (m?.type !== 'start') return;
      process.off('message', onMessage);
      resolve(m);
    };
    process.on('message', onMessage);
  });
}

/**
 * The child side of a job a server runs in a child process (FINETUNE_PROCESS=child): the same application
 * context as the command line's, on the server's configuration and database, running the one job the server
 * claimed. All of the job's work happens here — for a fine-tune: co-purchase rebuild, embedding, training,
 * the gate, and the activation (index rebuilt and published, version marked active); the server only adopts
 * the result, as it adopts any other process's activation.
 */
async function runJob(jobId: string): Promise<number> {
  const start = await startMessage();
  if (start.jobId !== jobId) throw new Error(`started for job ${jobId} but told to run ${start.jobId}`);
  const ctx = await NestFactory.createApplicationContext(
    AppModule.forRoot({ config: start.config, databaseUrl: start.databaseUrl, longRunningServer: false }),
    { bufferLogs: true },
  );
  // The server's log, in the server's format: its stdout is this process's stdout.
  ctx.useLogger(ctx.get(Logger));
  let last = 0;
  const progress = (done: number, total: number) => {
    const now = Date.now();
    if (now - last < PROGRESS_EVERY_MS && done < total) return;
    last = now;
    process.send!({ type: 'progress', done, total } satisfies JobProcessMessage);
  };
  try {
    const result = await ctx.get(JobsService).runClaimed(jobId, progress);
    await send({ type: 'result', result });
    return 0;
  } catch (e) {
    await send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    return 1;
  } finally {
    await ctx.close();
  }
}

/** `aisle job:run <jobId>`: hidden; only a server starts it, with an IPC channel to hand it the job. */
export function jobRunCommand(): Command {
  return new Command(JOB_RUN_COMMAND)
    .description('run one job claimed by the server that started this process (internal)')
    .argument('<jobId>')
    .action(async (jobId: string) => {
      if (!process.send) {
        stderrLog(`error: aisle ${JOB_RUN_COMMAND} is started by a server for a job it claimed, not by hand`);
        process.exit(2);
      }
      // The server owns the job: if it is gone, so is the reason to go on (its job is failed as interrupted).
      process.on('disconnect', () => process.exit(1));
      const code = await runJob(jobId).catch((e: unknown) => {
        stderrLog(`error: ${e instanceof Error ? e.message : String(e)}`);
        return 1;
      });
      // Worker threads or sockets still closing must not keep a finished job's process alive.
      process.exit(code);
    });
}
