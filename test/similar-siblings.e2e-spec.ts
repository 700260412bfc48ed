import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { startTestApp, type TestApp } from './support/app';

const fixtures = path.join(__dirname, 'fixtures');
/** The whole Online Retail catalog (3,659 items: id, most frequent title, price). */
const catalog = fs
  .readFileSync(path.join(fixtures, 'online-retail-items.ndjson'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { id: string; title: string; price: number });
const families = (
  JSON.parse(fs.readFileSync(path.join(fixtures, 'sibling-families.json'), 'utf8')) as {
    families: string[][];
  }
).families;

/**
 * Colour variants of one product line are what "similar" must find first. Every member of 26 real families
 * is asked for its top 5 among the full catalog; its siblings must be there.
 */
describe('similar items find their siblings (full Online Retail catalog, real encoder and index)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ REINDEX_DEBOUNCE_MS: '0', JOBS_POLL_MS: '100' });
    for (let i = 0; i < catalog.length; i += 1000) {
      const res = await request(t.server)
        .put('/v1/items')
        .send({ items: catalog.slice(i, i + 1000) });
      expect(res.status).toBe(200);
    }
    const job = await request(t.server).post('/v1/admin/reindex').send({});
    for (let i = 0; i < 900; i++) {
      const res = await request(t.server).get(`/v1/admin/jobs/${job.body.jobId as string}`);
      if (res.body.status === 'succeeded') break;
      expect(res.body.status).not.toBe('failed');
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 600_000);

  afterAll(async () => {
    await t.close();
  });

  it('ranks siblings in the top 5 of (nearly) every member', async () => {
    expect(families.length).toBeGreaterThanOrEqual(20);
    let probes = 0;
    let atLeastOne = 0;
    let atLeastTwo = 0;
    const misses: string[] = [];
    for (const family of families) {
      for (const id of family) {
        const res = await request(t.server).get(`/v1/items/${id}/similar?limit=5`);
        expect(res.status).toBe(200);
        const top = (res.body.items as Array<{ id: string }>).map((i) => i.id);
        expect(top).not.toContain(id);
        const found = family.filter((s) => s !== id && top.includes(s)).length;
        probes += 1;
        if (found >= 1) atLeastOne += 1;
        if (found >= Math.min(2, family.length - 1)) atLeastTwo += 1;
        else misses.push(`${id}: ${found} sibling(s) in ${top.join(',')}`);
      }
    }
    // Measured with the built-in encoder: 103/104 members have a sibling in their top 5, 102/104 two of them.
    // The bars leave room for one more miss, not for a regression of the encoder or the index.
    process.stderr.write(
      `[siblings] ${atLeastOne}/${probes} ≥1, ${atLeastTwo}/${probes} ≥2; misses: ${misses.join(' | ')}\n`,
    );
    expect(atLeastOne / probes).toBeGreaterThanOrEqual(0.98);
    expect(atLeastTwo / probes).toBeGreaterThanOrEqual(0.96);
  });
});
