/**
 * Path rules shared by the writer and the validator: logical paths (inside a version's state) and
 * content paths (inside the manifest) are `/`-separated, relative, without `.`, `..` or empty
 * segments, and no path may be a directory prefix of another (`a` and `a/b` cannot both exist).
 */

/** Why a path is not allowed, or undefined when it is fine. */
export function pathProblem(path: string): 'leading-or-trailing-slash' | 'bad-segment' | undefined {
  if (typeof path !== 'string' || path === '') return 'bad-segment';
  if (path.startsWith('/') || path.endsWith('/')) return 'leading-or-trailing-slash';
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') return 'bad-segment';
  }
  return undefined;
}

/** The first pair of paths where one is a directory prefix of the other (or a duplicate), if any. */
export function findConflict(paths: Iterable<string>): [string, string] | undefined {
  const files = new Set<string>();
  const dirs = new Map<string, string>();
  for (const p of paths) {
    if (files.has(p)) return [p, p];
    if (dirs.has(p)) return [p, dirs.get(p)!];
    files.add(p);
    const segs = p.split('/');
    for (let i = 1; i < segs.length; i++) {
      const d = segs.slice(0, i).join('/');
      if (files.has(d)) return [d, p];
      if (!dirs.has(d)) dirs.set(d, p);
    }
  }
  return undefined;
}

/** Version directory names: `v1`, `v2`…, or zero-padded `v001` (all the same width). */
export const VERSION_RE = /^v(\d+)$/;

export function versionNumber(name: string): number | undefined {
  const m = VERSION_RE.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function versionName(n: number): string {
  return `v${n}`;
}
