/**
 * Everything Distillery keeps about a storage root that must not sit inside the object hierarchy
 * (an object root's parent directories may hold nothing but directories: E072): the workspace
 * where versions are assembled, per-object lock files, ACE token stores, the local IMS ledger and
 * the "payload held elsewhere" markers. It is a sibling folder, `<storage root>-distillery/`, so
 * it is on the same file system (versions are installed by rename) and travels with the root.
 */
import { sha256Hex } from '../hash.js';
import { join, dirname, basename, resolve } from 'node:path';
import { objectPath } from './layout.js';

export function companionPath(rootPath: string): string {
  const abs = resolve(rootPath);
  return join(dirname(abs), `${basename(abs)}-distillery`);
}

export function workspacePath(rootPath: string): string {
  return join(companionPath(rootPath), 'workspace');
}

export function lockPath(rootPath: string, objectId: string): string {
  return join(companionPath(rootPath), 'locks', `${sha256Hex(objectId)}.lock`);
}

export function tokenStorePath(rootPath: string, objectId: string, version: string): string {
  return join(companionPath(rootPath), 'tokens', objectPath(objectId), `${version}.tokens`);
}

export function elsewhereMarkerPath(rootPath: string, objectId: string): string {
  return join(companionPath(rootPath), 'payload-elsewhere', `${objectPath(objectId)}.json`);
}

export function defaultLedgerPath(rootPath: string): string {
  return join(companionPath(rootPath), 'ims-ledger.jsonl');
}
