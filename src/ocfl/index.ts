/** The OCFL preservation-package layer: the public surface the rest of Distillery uses. */
export { ensureStorageRoot, objectPath, LAYOUT_EXTENSION } from './layout.js';
export { commitVersion, type IncomingFile, type MadeFile, type CommitResult, type CommitMeta, type CommitOptions, type InstallStep } from './commit.js';
export { type Inventory, type VersionBlock, stateOf } from './inventory.js';
export {
  readInventory,
  filesToSend,
  exportVersion,
  diffVersions,
  removeLocalPayload,
  payloadHeldElsewhere,
  type FileToSend,
  type VersionDiff,
} from './objectFiles.js';
export { validateObject, type ObjectValidationOptions } from './validate/object.js';
export { validateStorageRoot } from './validate/storageRoot.js';
export type { ValidationResult, ValidationIssue } from './validate/result.js';
export { recoverObject } from './recover.js';
export { ObjectLockedError } from './lock.js';
export { companionPath, tokenStorePath } from './companion.js';
export { tokenizeVersion, auditObject, LocalIms, LOCAL_IMS_HOST, type Ims, type AuditResult } from './ace/index.js';
export { purgeFiles, listObjectIds, type PurgeOptions, type PurgeResult } from './purge.js';
export { readOcflSettings, imsFrom, type OcflSettings } from './settings.js';
export { ObjectIdentity, stableObjectId, repositoryRelativeUri, isUrlBasedId, identityFilePath, DEFAULT_ID_NAMESPACE, type Resolved } from './identity.js';
