import { promises as fs } from 'fs';

/**
 * Crash-safe file replacement: the content is written to `tmpPath`, flushed to disk, then renamed over
 * `target`. A reader sees the old file or the new one, never a torn mix; after a power loss the rename is
 * only durable once the directory is flushed too, which the caller does when it matters (see fsyncPath).
 */
export async function writeFileDurably(path: string, data: string): Promise<void> {
  const handle = await fs.open(path, 'w');
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to `tmpPath`, fsyncs it and renames it to `target`; the temp file is removed on failure. */
export async function replaceFileDurably(tmpPath: string, target: string, data: string): Promise<void> {
  try {
    await writeFileDurably(tmpPath, data);
    await fs.rename(tmpPath, target);
  } catch (e) {
    await fs.rm(tmpPath, { force: true });
    throw e;
  }
}

/** fsync a file or directory; directories cannot be fsynced on every platform, and that only costs durability. */
export async function fsyncPath(path: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(path, 'r');
    await handle.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw e;
  } finally {
    await handle?.close();
  }
}
