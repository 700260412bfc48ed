import { split } from './evaluation-split';
import { formatEvaluationTable, toEvaluationJson } from './evaluation.report';
import { evaluate, protocolCases } from './evaluation.runner';
import type { Purchase, Recommender } from './evaluation.types';

let sequence = 0;
function purchase(userId: string, itemId: string, invoiceNo: string, day: string): Purchase {
  return {
    eventId: `e${sequence++}`,
    userId,
    itemId,
    invoiceNo,
    timestamp: new Date(`2011-${day}T12:00:00Z`),
    quantity: 1,
  };
}

/**
 * u1: bought A, B before; basket {A, C}      → next-basket targets {A, C}, discovery {C}
 * u2: bought A before; basket {A}            → next-basket {A}, skipped in discovery
 * u3: bought B before; basket {N, C} (N new) → next-basket {C, N}, discovery {C, N}
 */
const data = split([
  purchase('u1', 'A', '1', '10-01'),
  purchase('u1', 'B', '1', '10-01'),
  purchase('u2', 'A', '2', '10-02'),
  purchase('u3', 'B', '3', '10-03'),
  purchase('u1', 'A', '10', '11-02'),
  purchase('u1', 'C', '10', '11-02'),
  purchase('u2', 'A', '11', '11-03'),
  purchase('u3', 'N', '12', '11-04'),
  purchase('u3', 'C', '12', '11-04'),
  purchase('u4', 'C', '13', '10-05'),
]);

describe('protocolCases', () => {
  it('keeps every test user and whole baskets in next-basket', () => {
    const cases = protocolCases(data, 'next-basket');
    expect(cases.map((c) => [c.user.userId, [...c.targets], c.exclude.size])).toEqual([
      ['u1', ['A', 'C'], 0],
      ['u2', ['A'], 0],
      ['u3', ['C', 'N'], 0],
    ]);
  });

  it('removes owned items from candidates and targets in discovery, skipping emptied users', () => {
    const cases = protocolCases(data, 'discovery');
    expect(cases.map((c) => [c.user.userId, [...c.targets], [...c.exclude]])).toEqual([
      ['u1', ['C'], ['A', 'B']],
      ['u3', ['C', 'N'], ['B']],
    ]);
  });

  it('gives the last pre-cutoff invoice as the session, its items out of candidates and targets', () => {
    // v1: {A} then {B, D} before the cutoff, basket {B, C}: the session is {B, D} alone, the target {C}.
    // v2: {A} before, basket {A}: nothing left, skipped.
    const cases = protocolCases(
      split([
        purchase('v1', 'A', '21', '10-01'),
        purchase('v1', 'B', '22', '10-02'),
        purchase('v1', 'D', '22', '10-02'),
        purchase('v2', 'A', '23', '10-02'),
        purchase('v1', 'B', '24', '11-02'),
        purchase('v1', 'C', '24', '11-02'),
        purchase('v2', 'A', '25', '11-02'),
      ]),
      'session',
    );
    expect(
      cases.map((c) => [c.user.userId, c.user.history.map((p) => p.itemId), [...c.targets], [...c.exclude]]),
    ).toEqual([['v1', ['B', 'D'], ['C'], ['B', 'D']]]);
  });

  it('with sessionItems, gives the last that many distinct items across invoices, each at its latest purchase', () => {
    // w1 bought A, B, A, C, D before the cutoff (five invoices), then {E}. Walking back: D, C, A (its latest
    // purchase is the third invoice), so the session is A, C, D, oldest first; B is one too far back.
    const cases = protocolCases(
      split([
        purchase('w1', 'A', '31', '10-01'),
        purchase('w1', 'B', '32', '10-02'),
        purchase('w1', 'A', '33', '10-03'),
        purchase('w1', 'C', '34', '10-04'),
        purchase('w1', 'D', '35', '10-05'),
        purchase('w1', 'E', '36', '11-02'),
      ]),
      'session',
      3,
    );
    expect(
      cases.map((c) => [c.user.userId, c.user.history.map((p) => p.itemId), [...c.targets], [...c.exclude]]),
    ).toEqual([['w1', ['A', 'C', 'D'], ['E'], ['A', 'C', 'D']]]);
  });

  it("in-visit: each user's first visit after the cutoff, new customers too, its last distinct item the target", () => {
    const at = (minute: number) => new Date(Date.UTC(2011, 10, 2, 12, minute));
    const line = (userId: string, itemId: string, invoiceNo: string, minute: number): Purchase => ({
      ...purchase(userId, itemId, invoiceNo, '10-01'),
      timestamp: at(minute),
    });
    const cases = protocolCases(
      split([
        purchase('r1', 'A', '40', '10-01'),
        // r1's first visit after the cutoff is invoice 41, split into items (asItemSequences): B, C, B, D.
        line('r1', 'B', '41#1', 0),
        line('r1', 'C', '41#2', 1),
        line('r1', 'B', '41#3', 2),
        line('r1', 'D', '41#4', 3),
        line('r1', 'E', '42', 60),
        // A new customer (nothing before the cutoff) counts; a one-item visit does not.
        line('n1', 'F', '50', 5),
        line('n1', 'G', '50', 5),
        line('n2', 'H', '51', 5),
      ]),
      'in-visit',
    );
    expect(
      cases.map((c) => [c.user.userId, c.user.history.map((p) => p.itemId), [...c.targets], [...c.exclude]]),
    ).toEqual([
      ['n1/50', ['F'], ['G'], ['F']],
      ['r1/41', ['B', 'C'], ['D'], ['B', 'C']],
    ]);
  });
});

describe('evaluate', () => {
  // Fixed lists, minus what must be excluded; async like the engine will be.
  const fixed =
    (list: string[]): Recommender =>
    async (_user, k, exclude) => {
      await Promise.resolve();
      return list.filter((id) => !exclude.has(id)).slice(0, k);
    };

  it('averages the metrics per protocol and counts new-item hits', async () => {
    const report = await evaluate(
      data,
      { engine: fixed(['N', 'C', 'A']), pop: fixed(['A', 'B']), repeat: fixed(['A']) },
      { k: 2, restrictTo: { repeat: ['next-basket'] } },
    );
    const next = report.protocols['next-basket'];
    const discovery = report.protocols.discovery;
    expect(next?.users).toBe(3);
    expect(discovery?.users).toBe(2);
    expect(Object.keys(discovery?.methods ?? {})).toEqual(['engine', 'pop']);

    // engine, next-basket, top 2 = [N, C]: u1 recall 1/2, NDCG (1/log2 3)/(1 + 1/log2 3); u2 0; u3 1 and 1.
    const g = 1 / Math.log2(3);
    expect(next?.methods.engine.recall).toBeCloseTo((0.5 + 0 + 1) / 3, 10);
    expect(next?.methods.engine.ndcg).toBeCloseTo((g / (1 + g) + 0 + 1) / 3, 10);
    expect(next?.methods.engine.hit).toBeCloseTo(2 / 3, 10);
    // discovery: u1 [N, C] vs {C} → recall 1, NDCG g; u3 [N, C] vs {C, N} → 1, 1.
    expect(discovery?.methods.engine.recall).toBeCloseTo(1, 10);
    expect(discovery?.methods.engine.ndcg).toBeCloseTo((g + 1) / 2, 10);
    // pop in discovery: u1 gets [] (A, B excluded), u3 gets [A] → no hits.
    expect(discovery?.methods.pop).toMatchObject({ recall: 0, ndcg: 0, hit: 0 });

    // N is the only target nobody bought before the cutoff (u3's basket, both protocols).
    expect(discovery?.newItemTargets).toBe(1);
    expect(discovery?.methods.engine.newItemHits).toBe(1);
    expect(discovery?.methods.pop.newItemHits).toBe(0);
  });

  it('counts the lists that hold a long-unsold item or a new arrival, per method', async () => {
    // D is dead stock, N a new arrival. Discovery lists: u1 and u3 both get [D, C] from `dead`, [N, C] from
    // `fresh`, [C] from `clean`.
    const report = await evaluate(
      data,
      { dead: fixed(['D', 'C']), fresh: fixed(['N', 'C']), clean: fixed(['C']) },
      {
        k: 2,
        protocols: ['discovery'],
        longUnsold: new Set(['D', 'X']),
        newArrivals: new Set(['N', 'Y', 'Z']),
      },
    );
    const discovery = report.protocols.discovery;
    expect(discovery?.longUnsoldItems).toBe(2);
    expect(discovery?.newArrivalItems).toBe(3);
    const lists = (m: string) => [
      discovery?.methods[m].longUnsoldLists,
      discovery?.methods[m].newArrivalLists,
    ];
    expect([lists('dead'), lists('fresh'), lists('clean')]).toEqual([
      [2, 0],
      [0, 2],
      [0, 0],
    ]);
    const json = toEvaluationJson(report, { modelVersion: 'm', trainSeconds: 0, engineMethod: 'dead' });
    expect(json.protocols.discovery.longUnsold).toEqual({ items: 2, engineLists: 2 });
    expect(json.protocols.discovery.newArrivals).toEqual({ items: 3, engineLists: 0 });
  });

  it('rejects lists that break the protocol instead of repairing them', async () => {
    await expect(evaluate(data, { cheat: () => ['A', 'C'] }, { protocols: ['discovery'] })).rejects.toThrow(
      /cheat recommended excluded item A to user u1/,
    );
    await expect(evaluate(data, { twice: () => ['C', 'C'] })).rejects.toThrow(/twice/);
    await expect(evaluate(data, { long: () => ['C', 'N', 'X'] }, { k: 2 })).rejects.toThrow(/3 items/);
  });

  it('hands each recommender its own copy of the inputs', async () => {
    const vandal: Recommender = (user, _k, exclude) => {
      (exclude as Set<string>).clear();
      (user.history as Purchase[]).length = 0;
      return [];
    };
    const seen: number[] = [];
    const observer: Recommender = (user, _k, exclude) => {
      seen.push(user.history.length + exclude.size);
      return [];
    };
    await evaluate(data, { vandal, observer }, { protocols: ['discovery'] });
    expect(seen).toEqual([4, 2]);
  });
});

describe('report formatting', () => {
  it('emits the JSON shape of docs/evaluation.md', async () => {
    const report = await evaluate(
      data,
      { pop: () => ['C'], engine: () => ['N'], repeat: () => [], itemknn: () => [], content: () => [] },
      // The fixed lists would break the in-visit protocol's exclusions; its rows are shaped like the session's.
      { restrictTo: { repeat: ['next-basket'] }, protocols: ['next-basket', 'discovery', 'session'] },
    );
    const json = toEvaluationJson(report, { modelVersion: 'use-lite@1+proj-7', trainSeconds: 12.345 });
    expect(Object.keys(json)).toEqual(['cutoff', 'k', 'protocols', 'modelVersion', 'trainSeconds']);
    expect(json.cutoff).toBe('2011-11-01');
    expect(json.k).toBe(10);
    expect(json.trainSeconds).toBeCloseTo(12.3, 10);
    expect(Object.keys(json.protocols['next-basket'])).toEqual([
      'users',
      'engine',
      'pop',
      'repeat',
      'itemknn',
      'content',
    ]);
    expect(Object.keys(json.protocols.discovery)).toEqual([
      'users',
      'engine',
      'pop',
      'itemknn',
      'content',
      'newItems',
      'longUnsold',
      'newArrivals',
    ]);
    expect(json.protocols.discovery.newItems).toEqual({ targets: 1, engineHits: 1 });
    // pop = [C]: u1 hits its only discovery target (recall 1), u3 hits one of two at rank 1.
    expect(json.protocols.discovery.pop).toEqual({ recall: 0.75, ndcg: 0.806574, hit: 1 });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('reports engineHits as null when no engine ran', async () => {
    const report = await evaluate(data, { pop: () => [] }, { protocols: ['discovery'] });
    const json = toEvaluationJson(report, { modelVersion: 'none', trainSeconds: 0 });
    expect(json.protocols.discovery.newItems).toEqual({ targets: 1, engineHits: null });
    expect(json.protocols['next-basket']).toBeUndefined();
  });

  it('prints one aligned row per protocol and method', async () => {
    const report = await evaluate(data, { pop: () => ['C'] });
    const lines = formatEvaluationTable(report).split('\n');
    expect(lines[0]).toBe('cutoff 2011-11-01, K = 10');
    expect(lines[1]).toMatch(/^protocol\s+method\s+users\s+Recall@10\s+NDCG@10\s+Hit@10/);
    // Header, rule, and one row per protocol: next-basket, discovery, session, in-visit.
    expect(lines).toHaveLength(7);
    // u1's visit A → C and u3's N → C: pop's C is each one's target (u2's one-item visit is no case).
    expect(lines[6]).toMatch(/^in-visit\s+pop\s+2\s+1\.0000\s/);
    expect(lines[3]).toMatch(/^next-basket\s+pop\s+3\s+0\.3333\s/);
    expect(new Set(lines.slice(1).map((line) => line.length)).size).toBe(1);
  });
});
