/**
 * Islandora 7 (Fedora 3) PID rules, checked before anything is sent: islandora_is_valid_pid()
 * allows at most 64 characters matching `namespace:id`, where the namespace is letters, digits,
 * "-" and "." only. Books are `<collection id>:<component id>`, so a collection ID with "_" (or
 * "~") cannot be a namespace.
 */
import { PermanentError } from '../../policies.js';

const NAMESPACE_RE = /^([A-Za-z0-9]|-|\.)+$/;
const ID_RE = /^(([A-Za-z0-9])|-|\.|~|_|(%[0-9A-F]{2}))+$/;
export const MAX_PID_LENGTH = 64;

/** Returns the problem with a PID, or undefined when Islandora accepts it. */
export function pidProblem(namespace: string, id: string): string | undefined {
  const pid = `${namespace}:${id}`;
  if (!NAMESPACE_RE.test(namespace)) {
    const bad = [...new Set(namespace.replace(/[A-Za-z0-9.-]/g, ''))].map((c) => `"${c}"`).join(', ');
    return `the namespace "${namespace}" of PID ${pid} may contain only letters, digits, "-" and "." (it has ${bad || 'nothing'})`;
  }
  if (!ID_RE.test(id)) {
    const bad = [...new Set(id.replace(/[A-Za-z0-9.~_-]/g, ''))].map((c) => `"${c}"`).join(', ');
    return `the id "${id}" of PID ${pid} may contain only letters, digits, "-", ".", "~" and "_" (it has ${bad || 'nothing'})`;
  }
  if (pid.length > MAX_PID_LENGTH) {
    return `PID ${pid} is ${pid.length} characters long; Islandora allows at most ${MAX_PID_LENGTH}`;
  }
  return undefined;
}

/** The book PID of a folder: the collection ID is the namespace, the component id the id. */
export function bookPid(collectionId: string, componentId: string): string {
  const problem = pidProblem(collectionId, componentId);
  if (problem) {
    throw new PermanentError(
      `Cannot publish ${componentId} to Islandora: ${problem}. Islandora books are named ` +
        `<collection ID>:<component id>; rename the collection or folder identifiers in ArchivesSpace ` +
        `and the folder names, or leave "access" out of this run. Nothing was sent; a retry cannot help.`,
    );
  }
  return `${collectionId}:${componentId}`;
}

/** The collection object's PID: `<ISLANDORA_NAMESPACE>:<collection ID>`. */
export function collectionPid(namespace: string, collectionId: string): string {
  const problem = pidProblem(namespace, collectionId);
  if (problem) {
    throw new PermanentError(
      `Cannot create the Islandora collection for ${collectionId}: ${problem}. Check ISLANDORA_NAMESPACE ` +
        `in settings.ini. Nothing was sent; a retry cannot help.`,
    );
  }
  return `${namespace}:${collectionId}`;
}
