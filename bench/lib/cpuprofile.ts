/** Summaries of V8 CPU profiles (`node --cpu-prof`): self and inclusive time by function and by file. */
import { relative } from 'node:path';
import { REPO_ROOT } from './paths.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileLine {
  readonly name: string;
  readonly selfMs: number;
  readonly totalMs: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idleMs: number;
  readonly byFunction: readonly ProfileLine[];
  readonly byFile: readonly ProfileLine[];
}

function where(node: ProfileNode): { fn: string; file: string } {
  const { functionName, url, lineNumber } = node.callFrame;
  const path = url.startsWith('file://') ? relative(REPO_ROOT, new URL(url).pathname) : url === '' ? '(native)' : url;
  // Line numbers are those of the compiled file, so it keeps its own name (dist/….js).
  const file = path;
  return { fn: `${functionName === '' ? '(anonymous)' : functionName} ${file}${url === '' ? '' : `:${lineNumber + 1}`}`, file };
}

export function summarize(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const fnSelf = new Map<string, number>();
  const fnTotal = new Map<string, number>();
  const fileSelf = new Map<string, number>();
  const fileTotal = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    totalUs += us;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const here = where(node);
    fnSelf.set(here.fn, (fnSelf.get(here.fn) ?? 0) + us);
    fileSelf.set(here.file, (fileSelf.get(here.file) ?? 0) + us);
    // Inclusive time: once per distinct function/file on the stack.
    const seenFn = new Set<string>();
    const seenFile = new Set<string>();
    for (let cursor: number | undefined = id; cursor !== undefined; cursor = parent.get(cursor)) {
      const frame = byId.get(cursor);
      if (frame === undefined) break;
      const w = where(frame);
      if (!seenFn.has(w.fn)) {
        seenFn.add(w.fn);
        fnTotal.set(w.fn, (fnTotal.get(w.fn) ?? 0) + us);
      }
      if (!seenFile.has(w.file)) {
        seenFile.add(w.file);
        fileTotal.set(w.file, (fileTotal.get(w.file) ?? 0) + us);
      }
    }
  }
  const lines = (self: Map<string, number>, total: Map<string, number>): ProfileLine[] =>
    [...total.keys()]
      .map((name) => ({ name, selfMs: (self.get(name) ?? 0) / 1000, totalMs: (total.get(name) ?? 0) / 1000 }))
      .sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, byFunction: lines(fnSelf, fnTotal), byFile: lines(fileSelf, fileTotal) };
}

export function formatSummary(summary: ProfileSummary, top: number, filter?: string): string {
  const busy = summary.totalMs - summary.idleMs;
  const pct = (ms: number): string => `${((100 * ms) / busy).toFixed(1)}%`;
  const rows = (list: readonly ProfileLine[], byTotal: boolean): string =>
    [...list]
      .filter((l) => filter === undefined || l.name.includes(filter))
      .sort((a, b) => (byTotal ? b.totalMs - a.totalMs : b.selfMs - a.selfMs))
      .slice(0, top)
      .map((l) => `  ${pct(l.selfMs).padStart(6)} self  ${pct(l.totalMs).padStart(6)} total  ${l.name}`)
      .join('\n');
  return [
    `profiled ${(summary.totalMs / 1000).toFixed(1)} s, busy ${(busy / 1000).toFixed(1)} s (percentages are of busy time)`,
    'by function, self time:',
    rows(summary.byFunction, false),
    'by function, inclusive time:',
    rows(summary.byFunction, true),
    'by file:',
    rows(summary.byFile, false),
  ].join('\n');
}
