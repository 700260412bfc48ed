/**
 * The text encoder port: turns texts into L2-normalised vectors.
 *
 * `id` names the exact model (e.g. `use-lite-512@3f2a9c0d1e4b` or a hub id): every stored vector is keyed by
 * it, so a model change is a visible, versioned rebuild rather than a silent mix of incompatible vectors.
 */
export interface EncodeOptions {
  /** Who waits for the vectors: a request (`interactive`) or a background job (`bulk`). */
  lane?: 'interactive' | 'bulk';
}

export interface Encoder {
  readonly id: string;
  readonly dimension: number;
  /** One vector per text, in input order, each of length `dimension` and unit L2 norm. */
  encode(texts: string[], options?: EncodeOptions): Promise<Float32Array[]>;
  close(): Promise<void>;
}
