import { loadConfig } from '../config/config.schema';
import { MetricsService } from '../metrics/metrics.service';
import { ServedListRecorder, type ServedListContext } from './served-list.recorder';
import type { ServedList, ServedListsRepository } from './served-lists.repository';

const LIST: ServedListContext = {
  source: 'popular',
  isPlacement: false,
  modelVersion: null,
  strategy: 'popular',
  itemIds: ['a', 'b'],
};

/** A database that accepts writes only when the test lets it: the recorder's overload behaviour in isolation. */
class GatedLists {
  written: ServedList[] = [];
  calls = 0;
  private release: (() => void) | undefined;
  fail = false;
  insert(lists: ServedList[]): Promise<void> {
    this.calls++;
    return new Promise((resolve, reject) => {
      this.release = () => {
        if (this.fail) reject(new Error('database down'));
        else {
          this.written.push(...lists);
          resolve();
        }
      };
    });
  }
  open(): void {
    this.release?.();
  }
  deletes = 0;
  private endDelete: (() => void) | undefined;
  deleteServedBefore(): Promise<number> {
    return new Promise((resolve) => {
      this.endDelete = () => {
        this.deletes++;
        resolve(7);
      };
    });
  }
  finishDelete(): void {
    this.endDelete?.();
  }
}

const dropped = async (m: MetricsService, reason: string) =>
  (await m.servedListsDropped.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

describe('ServedListRecorder', () => {
  const setup = (queueMax: number) => {
    const lists = new GatedLists();
    const metrics = new MetricsService();
    const config = loadConfig({ SERVED_LISTS_QUEUE_MAX: String(queueMax) });
    const recorder = new ServedListRecorder(lists as unknown as ServedListsRepository, metrics, config);
    return { lists, metrics, recorder };
  };

  it('answers at once while the database is stalled, keeps at most the queue bound and counts the rest', async () => {
    const { lists, metrics, recorder } = setup(3);
    const ids = Array.from({ length: 5 }, () => recorder.record(LIST));
    expect(new Set(ids).size).toBe(5);
    expect(await dropped(metrics, 'queue_full')).toBe(2);
    const flushed = recorder.flush();
    await new Promise((r) => setImmediate(r));
    expect(lists.calls).toBe(1);
    lists.open();
    await flushed;
    expect(lists.written.map((l) => l.recommId)).toEqual(ids.slice(0, 3));
    expect(lists.written[0].itemIds).toEqual(['a', 'b']);
    const served = (await metrics.servedLists.get()).values.find((v) => v.labels.source === 'popular');
    expect(served?.value).toBe(5);
  });

  it('counts a failed batch as dropped rather than retrying it forever', async () => {
    const { lists, metrics, recorder } = setup(100);
    recorder.record(LIST);
    recorder.record(LIST);
    lists.fail = true;
    const flushed = recorder.flush();
    await new Promise((r) => setImmediate(r));
    lists.open();
    await flushed;
    expect(await dropped(metrics, 'write_failed')).toBe(2);
    await recorder.flush();
    expect(lists.calls).toBe(1);
  });

  it('records nothing with SERVED_LISTS_QUEUE_MAX=0, yet answers a fresh recommId and counts every list', async () => {
    const { lists, metrics, recorder } = setup(0);
    const ids = Array.from({ length: 3 }, () => recorder.record(LIST));
    expect(new Set(ids).size).toBe(3);
    await recorder.flush();
    expect(lists.calls).toBe(0);
    expect(await dropped(metrics, 'disabled')).toBe(3);
    expect(await dropped(metrics, 'queue_full')).toBe(0);
    const served = (await metrics.servedLists.get()).values.find((v) => v.labels.source === 'popular');
    expect(served?.value).toBe(3);
  });

  it('closes only once a retention delete in progress has ended, not under it', async () => {
    const { lists, recorder } = setup(100);
    const deleted = recorder.enforceRetention(new Date());
    let closed = false;
    const closing = recorder.onModuleDestroy().then(() => (closed = true));
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    lists.finishDelete();
    await closing;
    expect(lists.deletes).toBe(1);
    expect(await deleted).toBe(7);
  });

  it('leaves lists queued during a write for the next flush, unless they fill a batch', async () => {
    const { lists, recorder } = setup(10_000);
    const first = Array.from({ length: 3 }, () => recorder.record(LIST));
    const flushed = recorder.flush();
    await new Promise((r) => setImmediate(r));
    const meanwhile = Array.from({ length: 2 }, () => recorder.record(LIST));
    lists.open();
    await flushed;
    // The two that came in while the first three were written wait: no statement for a handful of rows.
    expect(lists.calls).toBe(1);
    expect(lists.written.map((l) => l.recommId)).toEqual(first);
    const next = recorder.flush();
    await new Promise((r) => setImmediate(r));
    lists.open();
    await next;
    expect(lists.calls).toBe(2);
    expect(lists.written.map((l) => l.recommId)).toEqual([...first, ...meanwhile]);

    // A full batch that came in during a write is written by the same flush, right after it.
    recorder.record(LIST);
    const third = recorder.flush();
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 500; i++) recorder.record(LIST);
    lists.open();
    await new Promise((r) => setImmediate(r));
    expect(lists.calls).toBe(4);
    lists.open();
    await third;
    expect(lists.written).toHaveLength(506);
  });

  it('writes a full batch on a later turn of the event loop, never inside the request that filled it', async () => {
    const { lists, recorder } = setup(10_000);
    for (let i = 0; i < 500; i++) recorder.record(LIST);
    expect(lists.calls).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(lists.calls).toBe(1);
    lists.open();
    await recorder.flush();
    expect(lists.written).toHaveLength(500);
  });
});
