import { InvalidVectorError, VectorDimensionError } from './vector-index.errors';
import { IndexBuildParams, IndexSpace, QueryVector, VECTOR_INDEX_DEFAULTS } from './vector-index.port';
import { INDEX_SPACES } from './hnsw-index-format';

/** Input checks of the HNSW adapter: everything is validated before minutes are spent on a graph. */

export function resolveParams(params: IndexBuildParams): Required<IndexBuildParams> {
  const p: Required<IndexBuildParams> = {
    space: params.space,
    dimension: params.dimension,
    m: params.m ?? VECTOR_INDEX_DEFAULTS.m,
    efConstruction: params.efConstruction ?? VECTOR_INDEX_DEFAULTS.efConstruction,
    efSearch: params.efSearch ?? VECTOR_INDEX_DEFAULTS.efSearch,
    encoderId: params.encoderId,
    modelVersion: params.modelVersion,
  };
  if (!INDEX_SPACES.includes(p.space)) throw new RangeError(`unknown space ${String(p.space)}`);
  assertPositiveInt(p.dimension, 'dimension');
  assertPositiveInt(p.m, 'm');
  assertPositiveInt(p.efConstruction, 'efConstruction');
  assertPositiveInt(p.efSearch, 'efSearch');
  if (!p.encoderId) throw new RangeError('encoderId is required');
  if (!p.modelVersion) throw new RangeError('modelVersion is required');
  return p;
}

export function assertPositiveInt(value: number, name: string): void {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
}

export function assertItemId(id: string): void {
  if (typeof id !== 'string' || id.length === 0)
    throw new InvalidVectorError('item id must be a non-empty string');
}

export function checkVector(vector: QueryVector, dimension: number, space: IndexSpace): void {
  if (vector.length !== dimension) throw new VectorDimensionError(dimension, vector.length);
  let sumSquares = 0;
  for (let j = 0; j < dimension; j++) {
    const x = vector[j];
    if (!Number.isFinite(x)) throw new InvalidVectorError(`vector component ${j} is not finite`);
    sumSquares += x * x;
  }
  // The library would silently map a zero vector to "equally far from everything" in the cosine space.
  if (space === 'cosine' && sumSquares === 0) throw new InvalidVectorError('zero vector in the cosine space');
}
