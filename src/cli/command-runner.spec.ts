import { ReportedSummary, runCommand } from './command-runner';

/** Runs `runCommand` and captures what it writes to stdout and stderr and the exit code it sets. */
async function capture(json: boolean, fn: () => Promise<Record<string, unknown> | ReportedSummary>) {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  const before = process.exitCode;
  try {
    await runCommand(json, fn);
    return { stdout: out.join(''), stderr: err.join(''), code: process.exitCode };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    process.exitCode = before;
  }
}

describe('runCommand', () => {
  it('with --json, ends stdout with one JSON line carrying ok: true and the summary', async () => {
    const r = await capture(true, () => Promise.resolve({ applied: ['a'], seconds: 1.5 }));
    expect(r.stdout).toBe('{"ok":true,"applied":["a"],"seconds":1.5}\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('without --json, prints the summary as key: value lines', async () => {
    const r = await capture(false, () => Promise.resolve({ exported: 2, file: 'p.json' }));
    expect(r.stdout).toBe('exported: 2\nfile: "p.json"\n');
    expect(r.code).toBe(0);
  });

  it('a failure is one line on stderr, exit code 1 and, with --json, ok: false as the last line', async () => {
    const r = await capture(true, () => Promise.reject(new Error('no such file')));
    expect(r.stderr).toBe('error: no such file\n');
    expect(r.stdout).toBe('{"ok":false,"error":"no such file"}\n');
    expect(r.code).toBe(1);
  });

  it('a failure thrown before the first await takes the same path', async () => {
    const r = await capture(false, () => {
      throw new Error('--as-of must be an ISO date');
    });
    expect(r.stderr).toBe('error: --as-of must be an ISO date\n');
    expect(r.stdout).toBe('');
    expect(r.code).toBe(1);
  });

  it("a command's own report is printed in both modes, the JSON line after it", async () => {
    const report = new ReportedSummary('method  ndcg\nengine  0.3', { ndcg: 0.3 });
    const plain = await capture(false, () => Promise.resolve(report));
    expect(plain.stdout).toBe('method  ndcg\nengine  0.3\n');
    const json = await capture(true, () => Promise.resolve(report));
    expect(json.stdout).toBe('method  ndcg\nengine  0.3\n{"ok":true,"ndcg":0.3}\n');
  });
});
