import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliEntry } from './job-process';

describe('cliEntry', () => {
  it('finds bin/aisle.js above the sources and above the build', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-cli-entry-'));
    try {
      fs.mkdirSync(path.join(root, 'bin'));
      fs.writeFileSync(path.join(root, 'bin', 'aisle.js'), '');
      for (const dir of [path.join(root, 'src', 'jobs'), path.join(root, 'dist', 'src', 'jobs')]) {
        fs.mkdirSync(dir, { recursive: true });
        expect(cliEntry(dir)).toBe(path.join(root, 'bin', 'aisle.js'));
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('says so when there is none', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-no-cli-'));
    try {
      expect(() => cliEntry(dir)).toThrow(/bin\/aisle\.js not found/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
