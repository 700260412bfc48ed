import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from './support/database';
import { tryLock, withLock } from '../src/database/advisory-lock';
import { createDataSource } from '../src/database/data-source';
import { AdvisoryLock, jobKindLock } from '../src/database/locks';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise and the function that settles it: holds a lock open for as long as a test needs. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

// Two data sources stand for two processes: each lock is taken on its own connection.
describe('advisory locks on PostgreSQL', () => {
  let db: TestDatabase;
  let a: DataSource;
  let b: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    a = await createDataSource(db.url).initialize();
    b = await createDataSource(db.url).initialize();
  });

  afterAll(async () => {
    await a?.destroy();
    await b?.destroy();
    await db?.drop();
  });

  it('tryLock does not run its function while another connection holds the lock, and does once it is free', async () => {
    const hold = gate();
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const holder = withLock(a, AdvisoryLock.IndexActivation, async () => {
      entered();
      await hold.opened;
    });
    await inside;
    let ran = false;
    const refused = await tryLock(b, AdvisoryLock.IndexActivation, () => Promise.resolve((ran = true)));
    expect(refused).toEqual({ held: false });
    expect(ran).toBe(false);
    hold.open();
    await holder;
    expect(await tryLock(b, AdvisoryLock.IndexActivation, () => Promise.resolve('ran'))).toEqual({
      held: true,
      value: 'ran',
    });
  });

  it('withLock waits for the holder to finish before it runs', async () => {
    const order: string[] = [];
    const hold = gate();
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const first = withLock(a, AdvisoryLock.Migrations, async () => {
      entered();
      await hold.opened;
      order.push('first done');
    });
    await inside;
    const second = withLock(b, AdvisoryLock.Migrations, () => Promise.resolve(order.push('second ran')));
    await sleep(700);
    expect(order).toEqual([]);
    hold.open();
    await Promise.all([first, second]);
    expect(order).toEqual(['first done', 'second ran']);
  });

  it('releases the lock when the function throws', async () => {
    const key = jobKindLock('reindex');
    await expect(withLock(a, key, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect((await tryLock(b, key, () => Promise.resolve(1))).held).toBe(true);
  });

  it('locks of different job kinds do not exclude each other', async () => {
    const hold = gate();
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const holder = withLock(a, jobKindLock('reindex'), async () => {
      entered();
      await hold.opened;
    });
    await inside;
    expect((await tryLock(b, jobKindLock('finetune'), () => Promise.resolve(1))).held).toBe(true);
    expect((await tryLock(b, jobKindLock('reindex'), () => Promise.resolve(1))).held).toBe(false);
    hold.open();
    await holder;
  });
});

describe('the lock registry', () => {
  it('gives every named lock and every job kind its own key', () => {
    const keys = [
      ...Object.values(AdvisoryLock),
      ...['reindex', 'finetune', 'activate', 'copurchase'].map(jobKindLock),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(jobKindLock('reindex')).toBe(jobKindLock('reindex'));
  });
});
