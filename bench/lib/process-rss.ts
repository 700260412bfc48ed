import * as fs from 'node:fs';

/** Resident set size of one process in MB (VmRSS), undefined once it has exited. */
export function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The process and its descendants (a server's forked encoder workers), from /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    out.push(p);
    let tasks: string[];
    try {
      tasks = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = fs.readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(' ').filter(Boolean)) visit(Number(c));
    }
  };
  visit(pid);
  return out;
}

/** RSS of a process and all its descendants in MB (shared pages counted once per process). */
export function treeRssMb(pid: number): number | undefined {
  const own = rssMb(pid);
  if (own === undefined) return undefined;
  return processTree(pid)
    .slice(1)
    .reduce((sum, p) => sum + (rssMb(p) ?? 0), own);
}

/** CPU seconds (user + system) a process and its descendants have used so far. */
export function treeCpuSeconds(pid: number): number {
  const ticks = 100; // USER_HZ: 100 on every Linux this runs on
  let sum = 0;
  for (const p of processTree(pid)) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const rest = fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      sum += (Number(rest[11]) + Number(rest[12])) / ticks;
    } catch {
      // exited between listing and reading
    }
  }
  return sum;
}

/**
 * Waits until the process tree uses less than `share` of one core over a second (at most `maxSeconds`): a
 * server that just started still loads encoder workers and copies vectors, which would be charged to the
 * first route measured. Returns the seconds waited.
 */
export async function waitUntilIdle(pid: number, share = 0.05, maxSeconds = 120): Promise<number> {
  const start = Date.now();
  let last = treeCpuSeconds(pid);
  while ((Date.now() - start) / 1000 < maxSeconds) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = treeCpuSeconds(pid);
    if (now - last < share) break;
    last = now;
  }
  return (Date.now() - start) / 1000;
}
