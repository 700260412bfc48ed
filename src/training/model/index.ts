/** Public surface of the pure-computation model code (no NestJS, no database). */
export * from './training-pairs';
export * from './projection-model';
export * from './pca';
export * from './trainer';
export * from './scoring';
export { InfoNceKernel } from './infonce';
export type { ProjectionParams, ParamGradients } from './infonce';
export { mulberry32 } from './random';
