#!/usr/bin/env node
'use strict';
// The package's command line. Runs the compiled build (made by `npm ci`/`npm install` through `prepare`).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'src', 'cli.js');
if (!fs.existsSync(entry)) {
  process.stderr.write(
    'aisle: the build is missing; run `npm run build` (npm ci/npm install do it for you)\n',
  );
  process.exit(1);
}
require(entry)
  .buildCli()
  .parseAsync(process.argv)
  .catch((e) => {
    process.stderr.write(`error: ${e && e.message ? e.message : e}\n`);
    process.exit(1);
  });
