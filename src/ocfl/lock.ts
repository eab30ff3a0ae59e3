/**
 * One writer per object: the lock file in the companion folder (src/fileLock.ts: held across
 * hosts, renewed while held, a dead holder's lock taken over).
 */
import { lockPath } from './companion.js';
import { LockedError, withFileLock, type LockOptions } from '../fileLock.js';

export type { LockOptions };
export { LockedError as ObjectLockedError, withFileLock };

/** Runs `fn` holding the object's lock; always releases it (unless the process dies). */
export async function withObjectLock<T>(rootPath: string, objectId: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  return withFileLock(lockPath(rootPath, objectId), `OCFL object ${objectId}`, fn, { waitSetting: 'OBJECT_LOCK_TIMEOUT', ...opts });
}
