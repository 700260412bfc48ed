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
