export * from './evaluation.types';
export * from './evaluation-split';
export * from './ranking';
export * from './baseline-recommenders';
export * from './evaluation.runner';
export * from './evaluation.report';
export * from './online-retail-evaluation';
export * from './item-sequences';
