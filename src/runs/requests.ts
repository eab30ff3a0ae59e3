/**
 * Validation of what an archivist (or a caller) asks for: the collection ID and the processes.
 * The browser checks these too, but the server never trusts it.
 */
import { PROCESSES, type ProcessName } from './types.js';

/** The original's pattern for collection IDs (case-sensitive). */
export const COLLECTION_ID_PATTERN = /^[a-zA-Z0-9\-.~_]+$/;
/** Long enough for any ArchivesSpace identifier in practice, short enough for file names on every mount. */
export const COLLECTION_ID_MAX_LENGTH = 100;

/** Windows device names, alone or before an extension ("CON", "nul.txt"), in any case. */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
/**
 * The parts of status file names that tell a request, a claim, a stream, a record, a cancel
 * request and a file set aside apart (see src/runs/statusFolder.ts). A collection ID containing one
 * is refused, so every status file name parses one way only.
 */
export const PROTOCOL_MARKERS = ['-init-', '-claimed-', '-processing', '-run.json', '-cancel.json', '.rejected', '.requeue-', '.tmp'] as const;

/** Returns why the ID is not acceptable, or undefined when it is. */
export function collectionIdProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.trim() === '') return 'Enter a collection ID.';
  const id = raw.trim();
  if (id.length > COLLECTION_ID_MAX_LENGTH) {
    return `The collection ID is ${id.length} characters long; at most ${COLLECTION_ID_MAX_LENGTH} are allowed.`;
  }
  if (!COLLECTION_ID_PATTERN.test(id)) {
    return `The collection ID "${printable(id)}" may contain only letters, digits and - . _ ~ (no spaces, slashes or other characters).`;
  }
  if (/^\.+$/.test(id)) return `The collection ID "${id}" is not allowed: it would name a folder above the collection folder.`;
  // The folders may be on an SMB share or a Windows server, which drop a trailing dot and reserve device names.
  if (id.endsWith('.')) {
    return `The collection ID "${id}" ends with a dot, which Windows and SMB shares drop: it would be the same folder as "${id.replace(/\.+$/, '')}". Leave the dot out.`;
  }
  if (WINDOWS_DEVICE.test(id)) {
    return `The collection ID "${id}" is a name Windows reserves for a device (CON, PRN, AUX, NUL, COM1…, LPT1…): no folder can have it on a Windows or SMB share.`;
  }
  const marker = PROTOCOL_MARKERS.find((m) => id.includes(m));
  if (marker) {
    return `The collection ID "${id}" contains "${marker}", which Distillery uses in the names of its status files, so a run of it could be mistaken for another; ask your Distillery administrator how to run this collection.`;
  }
  return undefined;
}

/** Returns the processes in the original's order (report, cloud, onsite, access), or throws with why. */
export function parseProcesses(raw: unknown): ProcessName[] {
  const list = (Array.isArray(raw) ? raw : raw === undefined || raw === '' ? [] : [raw]).map(String);
  if (list.length === 0) throw new RequestProblem('Choose at least one process.');
  const unknown = list.filter((p) => !(PROCESSES as readonly string[]).includes(p));
  if (unknown.length) {
    throw new RequestProblem(`Unknown process ${unknown.map((u) => `"${printable(u)}"`).join(', ')}; choose from ${PROCESSES.join(', ')}.`);
  }
  return PROCESSES.filter((p) => list.includes(p));
}

export class RequestProblem extends Error {
  override readonly name = 'RequestProblem';
}

/** Shows control and other invisible characters in a message instead of passing them on. */
function printable(s: string): string {
  const cut = s.length > 60 ? `${s.slice(0, 60)}…` : s;
  return cut.replace(/[^\x20-\x7e]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
