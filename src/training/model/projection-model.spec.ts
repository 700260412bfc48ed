import { fitPca } from './pca';
import { ProjectionModel } from './projection-model';
import { mulberry32 } from './random';

function randomRows(n: number, dim: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n * dim }, () => rand() * 2 - 1);
}

function trainedLookingModel(): ProjectionModel {
  const rows = randomRows(20, 8, 1);
  const pca = fitPca(rows, 8, 4, { seed: 2 });
  const model = new ProjectionModel({
    inputDim: 8,
    dim: 4,
    pca,
    residualItemIds: ['a', 'b'],
    tau: 0.1,
    info: { run: 1 },
  });
  // Stand-in for training: perturb W and R.
  const rand = mulberry32(3);
  for (let i = 0; i < model.weights.length; i++) model.weights[i] += 0.1 * (rand() - 0.5);
  for (let i = 0; i < model.residuals.length; i++) model.residuals[i] = rand() - 0.5;
  return model;
}

describe('ProjectionModel', () => {
  it('starts as the identity on the reduced text vector', () => {
    const model = new ProjectionModel({ inputDim: 3, dim: 3 });
    const z = model.projectItem(Float32Array.from([3, 0, 4]));
    expect(z[0]).toBeCloseTo(0.6, 6);
    expect(z[1]).toBeCloseTo(0, 6);
    expect(z[2]).toBeCloseTo(0.8, 6);
  });

  it('places an unseen item by its text alone (zero residual)', () => {
    const model = trainedLookingModel();
    const x = randomRows(1, 8, 4);
    const textOnly = model.projectItem(x);
    const unseen = model.projectItem(x, 'never-sold');
    expect(model.residualRow('never-sold')).toBe(-1);
    expect(Array.from(unseen)).toEqual(Array.from(textOnly));
    // …whereas an item with a residual gets normalize(x̃·W + R_a).
    const reduced = model.reduce(x);
    const y = Array.from({ length: 4 }, (_, j) => {
      let v = model.residuals[model.residualRow('a') * 4 + j];
      for (let k = 0; k < 4; k++) v += reduced[k] * model.weights[k * 4 + j];
      return v;
    });
    const norm = Math.hypot(...y);
    const seen = model.projectItem(x, 'a');
    for (let j = 0; j < 4; j++) expect(seen[j]).toBeCloseTo(y[j] / norm, 6);
    expect(Math.abs(seen[0] - textOnly[0])).toBeGreaterThan(1e-3);
  });

  it('projects all items consistently with projectItem', () => {
    const model = trainedLookingModel();
    const ids = ['a', 'x', 'b'];
    const vectors = randomRows(3, 8, 5);
    const all = model.projectAll(ids, vectors);
    ids.forEach((id, i) => {
      const one = model.projectItem(vectors.subarray(i * 8, (i + 1) * 8), id);
      for (let j = 0; j < 4; j++) expect(all[i * 4 + j]).toBeCloseTo(one[j], 6);
    });
  });

  it('round-trips through toBuffer/fromBuffer exactly', () => {
    const model = trainedLookingModel();
    const blob = model.toBuffer();
    const copy = ProjectionModel.fromBuffer(blob);
    expect(copy.inputDim).toBe(8);
    expect(copy.dim).toBe(4);
    expect(copy.tau).toBeCloseTo(0.1, 10);
    expect(copy.info).toEqual({ run: 1 });
    expect(copy.residualItemIds).toEqual(['a', 'b']);
    expect(Array.from(copy.weights)).toEqual(Array.from(model.weights));
    expect(Array.from(copy.residuals)).toEqual(Array.from(model.residuals));
    expect(Array.from(copy.pca?.components ?? [])).toEqual(Array.from(model.pca?.components ?? []));
    const x = randomRows(1, 8, 6);
    expect(Array.from(copy.projectItem(x, 'b'))).toEqual(Array.from(model.projectItem(x, 'b')));
    // A copy inside a larger buffer (as a bytea driver may return) decodes too.
    const padded = Buffer.concat([Buffer.from([1, 2, 3]), blob]).subarray(3);
    expect(Array.from(ProjectionModel.fromBuffer(padded).weights)).toEqual(Array.from(model.weights));
  });

  it('round-trips a model without PCA', () => {
    const model = new ProjectionModel({ inputDim: 3, dim: 3, residualItemIds: ['only'] });
    model.residuals[1] = 0.25;
    const copy = ProjectionModel.fromBuffer(model.toBuffer());
    expect(copy.pca).toBeNull();
    expect(Array.from(copy.residuals)).toEqual([0, 0.25, 0]);
  });

  it('rejects blobs that are not models or are truncated', () => {
    const blob = trainedLookingModel().toBuffer();
    expect(() => ProjectionModel.fromBuffer(Buffer.from('not a model at all'))).toThrow(
      /not a projection model/,
    );
    expect(() => ProjectionModel.fromBuffer(blob.subarray(0, blob.length - 4))).toThrow(/truncated/);
  });

  it('refuses a reduced dimension without a PCA basis', () => {
    expect(() => new ProjectionModel({ inputDim: 8, dim: 4 })).toThrow(/PCA/);
  });
});
