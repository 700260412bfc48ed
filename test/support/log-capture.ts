// The default import is node's own fs object (not a copied namespace), so spying on it reaches sonic-boom.
import fs from 'node:fs';

export interface LogCapture {
  /** Every JSON log line written to stdout since the capture started. */
  lines(): Array<Record<string, unknown>>;
  /** Everything written to stdout since the capture started, as text. */
  text(): string;
  /** Waits until a line satisfying `match` has been written (log lines arrive after the response). */
  waitFor(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  restore(): void;
}

const asText = (chunk: unknown): string =>
  typeof chunk === 'string'
    ? chunk
    : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array
      ? Buffer.from(chunk).toString('utf8')
      : '';

/**
 * Captures (and swallows) what the app logs to stdout. pino writes to fd 1 through sonic-boom (fs.write or
 * fs.writeSync), not through process.stdout.write, so all three paths are intercepted.
 */
export function captureStdout(): LogCapture {
  const captured: string[] = [];
  const realWrite = fs.write;
  const realWriteSync = fs.writeSync;
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      captured.push(asText(chunk));
      return true;
    }),
    jest.spyOn(fs, 'write').mockImplementation((fd: number, buffer: unknown, ...rest: unknown[]) => {
      if (fd !== 1) return (realWrite as (...a: unknown[]) => void)(fd, buffer, ...rest);
      const s = asText(buffer);
      captured.push(s);
      const cb = rest.find((r): r is (err: null, n: number) => void => typeof r === 'function');
      if (cb) process.nextTick(cb, null, Buffer.byteLength(s));
    }),
    jest.spyOn(fs, 'writeSync').mockImplementation((fd: number, buffer: unknown, ...rest: unknown[]) => {
      if (fd !== 1) return (realWriteSync as (...a: unknown[]) => number)(fd, buffer, ...rest);
      const s = asText(buffer);
      captured.push(s);
      return Buffer.byteLength(s);
    }),
  ];
  const lines = () =>
    captured
      .join('')
      .split('\n')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  return {
    lines,
    text: () => captured.join(''),
    async waitFor(match) {
      for (let i = 0; i < 150; i++) {
        const found = lines().find(match);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no matching log line; captured:\n${captured.join('')}`);
    },
    restore: () => {
      for (const s of spies) s.mockRestore();
    },
  };
}
