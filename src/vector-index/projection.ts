/**
 * Maps a text vector into the space the index serves. Before any fine-tune the identity ("raw"); the training
 * module supplies the active model's projection. Kept as a tiny port so the index does not depend on training.
 */
export interface VectorProjection {
  /** The model version the projected vectors belong to (recorded in the index manifest). */
  readonly version: string;
  /** The projected vectors' dimension (the index's). */
  readonly dimension: number;
  /** The text vectors' dimension it reads (the encoder's): a text of another length came from another encoder. */
  readonly inputDimension: number;
  project(itemId: string, textVector: Float32Array): Float32Array;
}

export const rawProjection = (dimension: number): VectorProjection => ({
  version: 'raw',
  dimension,
  inputDimension: dimension,
  project: (_id, v) => v,
});
