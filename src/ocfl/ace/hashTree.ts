/**
 * ACE's hash tree, as ace-common's HashTreeBuilder builds it: order 2 by default, a parent's hash
 * is H(child_0 ‖ child_1 ‖ …) over raw bytes, a level whose size is not a multiple of the order
 * spreads its extra nodes over the first parents (the last parent takes what remains), and the
 * round is linked to the previous one by root = H(previousRoot ‖ treeRoot).
 */
import { createHash } from 'node:crypto';

interface Node {
  hash: Buffer;
  parent?: Node;
  index: number;
  children: Node[];
}

export interface BuiltTree {
  root: Buffer;
  /** For each leaf (in the order given), its proof lines in token-store form: hex hashes and an X. */
  proofs: string[][];
}

export function sha256(...parts: Buffer[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function buildTree(leaves: Buffer[], link?: Buffer, order = 2): BuiltTree {
  if (leaves.length === 0) throw new Error('A round needs at least one leaf.');
  const leafNodes: Node[] = leaves.map((hash) => ({ hash, index: 0, children: [] }));
  let level = leafNodes;
  while (level.length > 1) level = buildLevel(level, order);
  let root = level[0];
  if (link) {
    const linkNode: Node = { hash: link, index: 0, children: [] };
    root.index = 1;
    const top: Node = { hash: sha256(link, root.hash), index: 0, children: [linkNode, root] };
    linkNode.parent = top;
    root.parent = top;
    root = top;
  }
  return { root: root.hash, proofs: leafNodes.map(proofOf) };
}

function buildLevel(level: Node[], order: number): Node[] {
  const size = level.length;
  const parentCount = Math.floor(size / order);
  let remainder = size % order;
  const extraPerParent = Math.ceil(remainder / parentCount);
  const parents: Node[] = [];
  let i = 0;
  while (i < size) {
    let count: number;
    if (size - i >= order * 2) {
      count = order;
      if (remainder > 0) {
        count += extraPerParent;
        remainder -= extraPerParent;
      }
    } else count = size - i;
    const parent: Node = { hash: Buffer.alloc(0), index: 0, children: [] };
    const h = createHash('sha256');
    for (let k = 0; k < count; k++) {
      const child = level[i + k];
      child.parent = parent;
      child.index = k;
      h.update(child.hash);
      parent.children.push(child);
    }
    parent.hash = h.digest();
    parents.push(parent);
    i += count;
  }
  return parents;
}

function proofOf(leaf: Node): string[] {
  const lines: string[] = [];
  let node = leaf;
  while (node.parent) {
    const p = node.parent;
    lines.push(p.children.map((c) => (c === node ? 'X' : c.hash.toString('hex'))).join(':'));
    node = p;
  }
  return lines;
}

/** Recomputes a proof from a file's digest (as acestore.calculateLevel does); returns the round hash it leads to. */
export function proofRoot(fileDigest: Buffer, proof: string[]): Buffer {
  let cur = fileDigest;
  for (const line of proof) {
    const parts = line.split(':');
    if (parts.filter((p) => p === 'X').length !== 1) throw new Error(`Proof line "${line}" must hold exactly one X.`);
    cur = sha256(...parts.map((p) => (p === 'X' ? cur : Buffer.from(p, 'hex'))));
  }
  return cur;
}
