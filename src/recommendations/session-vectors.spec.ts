import type { Item } from '../catalog/item.model';
import { ProblemException } from '../common/problem';
import type { VectorProjection } from '../vector-index/projection';
import { placeText, sessionItemVectors, textQueryVector, type SessionVectorSources } from './session-vectors';

/** A served index as the session's vectors read it: its vectors by id, its dimension, its projection. */
interface Served {
  info: { dimension: number };
  vectors: Map<string, Float32Array>;
  projection: VectorProjection | undefined;
}

const raw = (d: number): VectorProjection => ({
  version: 'raw',
  dimension: d,
  inputDimension: d,
  project: (_id, v) => v,
});
const firstTwo: VectorProjection = {
  version: 'ft-1',
  dimension: 2,
  inputDimension: 4,
  project: (_id, v) => v.slice(0, 2),
};

function sources(
  state: { served: Served | undefined },
  onEmbed = () => undefined as void,
): SessionVectorSources {
  return {
    index: {
      current: () => state.served as never,
      currentProjection: () => state.served?.projection,
      vectorOf: (id) => state.served?.vectors.get(id),
    },
    items: {
      findMany: (ids: string[]) =>
        Promise.resolve(ids.map((id) => ({ id, title: `item ${id}` }) as unknown as Item)),
    },
    embeddings: {
      encodeTexts: (texts: string[]) => {
        onEmbed();
        return Promise.resolve(texts.map(() => Float32Array.from([3, 4, 0, 0])));
      },
      encodeQuery: () => Promise.resolve(Float32Array.from([0, 0, 3, 4])),
    },
  };
}

describe('placing a text in the served index', () => {
  const text = Float32Array.from([3, 4, 0, 0]);
  const index = (dimension: number, projection: VectorProjection | undefined) => ({
    current: () => ({ info: { dimension } }) as never,
    currentProjection: () => projection,
  });

  it('projects it with the served index’s projection, as a unit vector', () => {
    expect([...placeText(index(2, firstTwo), 'x', text)!].map((x) => +x.toFixed(3))).toEqual([0.6, 0.8]);
    expect([...placeText(index(4, raw(4)), 'x', Float32Array.from(text))!].map((x) => +x.toFixed(3))).toEqual(
      [0.6, 0.8, 0, 0],
    );
  });

  it('refuses a text from another encoder, and one it has no projection for while an index is served', () => {
    expect(placeText(index(2, firstTwo), 'x', Float32Array.from([1, 0, 0]))).toBeUndefined();
    expect(placeText(index(2, undefined), 'x', text)).toBeUndefined();
  });

  it('answers a text query it cannot place with a 503, not a search in the wrong space', async () => {
    const state = { served: { info: { dimension: 2 }, vectors: new Map(), projection: undefined } };
    const failure = await textQueryVector(sources(state), 'lamp', {
      ids: () => [][Symbol.iterator](),
      get: () => undefined,
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProblemException);
    expect((failure as ProblemException).getStatus()).toBe(503);
  });
});

describe("a session's item vectors", () => {
  it('come from the index served when they are returned, also when it was swapped while a new item was embedded', async () => {
    const before: Served = {
      info: { dimension: 4 },
      vectors: new Map([['old', Float32Array.from([1, 0, 0, 0])]]),
      projection: raw(4),
    };
    const after: Served = {
      info: { dimension: 2 },
      vectors: new Map([['old', Float32Array.from([0, 1])]]),
      projection: firstTwo,
    };
    const state: { served: Served | undefined } = { served: before };
    // The swap happens while the item the index does not hold yet is being embedded.
    const got = await sessionItemVectors(
      sources(state, () => (state.served = after)),
      ['old', 'new'],
      5,
    );
    expect(got.map((x) => x.id)).toEqual(['old', 'new']);
    expect(got.map((x) => x.v.length)).toEqual([2, 2]);
    expect([...got[0].v]).toEqual([0, 1]);
  });

  it('leave out an item the index does not hold when its text cannot be placed', async () => {
    const state = {
      served: {
        info: { dimension: 2 },
        vectors: new Map([['old', Float32Array.from([0, 1])]]),
        projection: undefined,
      },
    };
    const got = await sessionItemVectors(sources(state), ['old', 'new'], 5);
    expect(got.map((x) => x.id)).toEqual(['old']);
  });
});
