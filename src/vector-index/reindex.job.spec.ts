import { CatalogChanges } from '../catalog/catalog-changes';
import type { AppConfig } from '../config/app-config';
import type { EmbeddingsService } from '../embeddings/embeddings.service';
import type { JobProcesses } from '../jobs/job-process';
import type { Job } from '../jobs/jobs.repository';
import type { JobHandler, JobsService } from '../jobs/jobs.service';
import type { IndexService } from './index.service';
import { REINDEX, ReindexJob } from './reindex.job';
import { IndexSupersededError } from './vector-index.errors';

/** The reindex job's handler, run here (as in a command or the job's child process), around a given rebuild. */
function reindexHandler(rebuild: IndexService['rebuild']) {
  const handlers = new Map<string, JobHandler>();
  const queued: Array<[string, Record<string, unknown>]> = [];
  const jobs = {
    register: (kind: string, handler: JobHandler) => handlers.set(kind, handler),
    enqueue: (kind: string, params: Record<string, unknown> = {}) => {
      queued.push([kind, params]);
      return Promise.resolve({} as Job);
    },
  } as unknown as JobsService;
  const embeddings = {
    embedCatalog: () => Promise.resolve({ embedded: 2, covered: new Map([['a', 'h']]) }),
  } as unknown as EmbeddingsService;
  new ReindexJob(
    jobs,
    embeddings,
    { rebuild } as IndexService,
    new CatalogChanges(),
    { reindexProcess: 'inline' } as unknown as AppConfig,
    false,
    {} as JobProcesses,
  );
  const run = () =>
    handlers.get(REINDEX)!({ job: { params: { full: false } } as unknown as Job, progress: () => undefined });
  return { run, queued };
}

describe('the reindex job when a model is activated while it builds', () => {
  it('succeeds without an index, saying so, and queues one more reindex under the new model', async () => {
    const { run, queued } = reindexHandler(() => Promise.reject(new IndexSupersededError('raw', 'ft-2')));
    const result = await run();
    expect(result.superseded).toEqual({ built: 'raw', active: 'ft-2' });
    expect(result.index).toBeUndefined();
    expect(queued).toEqual([[REINDEX, { full: false }]]);
  });

  it('still fails on any other error, queueing nothing', async () => {
    const { run, queued } = reindexHandler(() => Promise.reject(new Error('disk full')));
    await expect(run()).rejects.toThrow('disk full');
    expect(queued).toEqual([]);
  });
});
