import { teamDraft } from './team-draft';

const coins = (...flips: boolean[]) => {
  let i = 0;
  return () => flips[i++ % flips.length];
};

describe('team-draft interleaving', () => {
  const a = ['x1', 'x2', 'x3', 'x4'];
  const b = ['x2', 'y1', 'x1', 'y2'];

  it('alternates picks, each team taking its best item not yet in the list', () => {
    // Heads (A first at every tie): A x1; B has fewer → x2; tie → A, x2 taken → x3; B → y1.
    expect(teamDraft(a, b, 4, coins(true))).toEqual([
      { id: 'x1', team: 0 },
      { id: 'x2', team: 1 },
      { id: 'x3', team: 0 },
      { id: 'y1', team: 1 },
    ]);
    // Tails (B first at every tie): B x2; A x1; tie → B y1; A: x2 taken → x3.
    expect(teamDraft(a, b, 4, coins(false))).toEqual([
      { id: 'x2', team: 1 },
      { id: 'x1', team: 0 },
      { id: 'y1', team: 1 },
      { id: 'x3', team: 0 },
    ]);
  });

  it('tosses the coin only when both teams have as many picks', () => {
    // Heads then tails: A x1; B x2 (fewer, no toss); tie, tails → B y1; A x3; tie, (heads) → A x4; B: x1 taken → y2.
    expect(teamDraft(a, b, 6, coins(true, false)).map((d) => `${d.id}:${d.team}`)).toEqual([
      'x1:0',
      'x2:1',
      'y1:1',
      'x3:0',
      'x4:0',
      'y2:1',
    ]);
  });

  it('lets the other team pick once a list is used up, and stops when both are', () => {
    // A has only p: A p; B q; tie → A empty → B r; A empty → B s; both used up → 4 items though 6 were asked.
    expect(teamDraft(['p'], ['q', 'r', 's'], 6, coins(true))).toEqual([
      { id: 'p', team: 0 },
      { id: 'q', team: 1 },
      { id: 'r', team: 1 },
      { id: 's', team: 1 },
    ]);
    expect(teamDraft([], [], 5, coins(true))).toEqual([]);
  });

  it('never repeats an item and cuts at the limit', () => {
    const out = teamDraft(['a', 'b', 'c'], ['a', 'b', 'c'], 2, coins(false));
    expect(out).toEqual([
      { id: 'a', team: 1 },
      { id: 'b', team: 0 },
    ]);
  });
});
