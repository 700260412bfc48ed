import { fillWithPopularity } from './ranking';

describe('fillWithPopularity', () => {
  it('fills up with popularity, skipping excluded and already taken ids', () => {
    const popularity = ['p1', 'p2', 'p3', 'p4'];
    expect(fillWithPopularity(['p2', 'x'], popularity, 4, new Set(['p1']))).toEqual(['p2', 'x', 'p3', 'p4']);
    expect(fillWithPopularity(['x', 'y', 'z'], popularity, 2, new Set())).toEqual(['x', 'y']);
    // Too few candidates left: a short list, never an excluded or duplicate id.
    expect(fillWithPopularity([], popularity, 10, new Set(['p3']))).toEqual(['p1', 'p2', 'p4']);
  });
});
