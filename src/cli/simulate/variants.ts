import type { SimVariant } from './simulation.types';

/** The control first (the variant results compare with), the engine second (interleaving "wins"). */
export const DEFAULT_VARIANTS: readonly [SimVariant, SimVariant] = [
  { id: 'popular', strategy: 'popular' },
  { id: 'engine' },
];

/**
 * A variant given on the command line as JSON (`{"id":"cheap","rules":[…]}`); the server validates the rest.
 * Only the shape the simulator itself relies on is checked here: an object with a non-empty string id.
 */
export function parseVariant(flag: string, json: string): SimVariant {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw new Error(`--${flag} must be a JSON object like {"id":"engine"}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new Error(`--${flag} must be a JSON object like {"id":"engine"}`);
  const id = (v as { id?: unknown }).id;
  if (typeof id !== 'string' || id === '') throw new Error(`--${flag} needs an "id" (a non-empty string)`);
  return v as SimVariant;
}
