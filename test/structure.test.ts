/**
 * The shape of the code: no import cycle among the modules of src/ (a cycle makes load order
 * matter and hides which part depends on which). Type-only imports count too: they tie the
 * design together just the same.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, test } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.ts$/.test(n) && !/\.d\.ts$/.test(n) ? [p] : [];
  });
}

/** Each module's relative imports (static `import … from`, `export … from`, and `import('…')`). */
export function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const deps = new Set<string>();
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const target = resolve(dirname(f), spec.replace(/\.js$/, '.ts'));
      if (known.has(target)) deps.add(target);
    }
    graph.set(f, [...deps]);
  }
  return graph;
}

/** Every cycle found by a depth-first walk, each as the list of modules around it. */
export function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === 'open') found.push([...stack.slice(stack.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return found;
}

test('the walker finds a cycle it is shown', () => {
  const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
  expect(cycles(g)).toEqual([['a', 'b', 'c', 'a']]);
  expect(cycles(new Map([['a', ['b']], ['b', []]]))).toEqual([]);
});

test('no module of src/ imports itself through others', () => {
  const graph = importGraph(sourceFiles(SRC));
  expect(graph.size).toBeGreaterThan(100);
  const rel = cycles(graph).map((c) => c.map((f) => relative(SRC, f)).join(' → '));
  expect(rel).toEqual([]);
});

test('only the stand-ins, demo, benchmarks and end-to-end runs import a stand-in', () => {
  // The command dispatcher (cli.ts) may load `distillery tape standin` lazily, for that command only.
  const lazyStandin = /import\(\s*'\.\/destinations\/tape\/standin\/cli\.js'\s*\)/;
  const graph = importGraph(sourceFiles(SRC));
  const offenders: string[] = [];
  for (const [f, deps] of graph) {
    const from = relative(SRC, f);
    if (/(^|\/)(standin|demo|bench|e2e)\//.test(from)) continue;
    if (from === 'cli.ts' && lazyStandin.test(readFileSync(f, 'utf8'))) deps.splice(deps.indexOf(join(SRC, 'destinations/tape/standin/cli.ts')), 1);
    for (const d of deps) if (/\/standin\//.test(relative(SRC, d))) offenders.push(`${from} → ${relative(SRC, d)}`);
  }
  expect(offenders).toEqual([]);
});
