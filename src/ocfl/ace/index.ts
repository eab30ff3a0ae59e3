export {
  LocalIms,
  LOCAL_IMS_HOST,
  SEED_HASH,
  ACE_MINIMUM_REQUESTS,
  ACE_MAXIMUM_REQUESTS,
  type Ims,
  type TokenRequest,
  type TokenResponse,
  type RoundSummary,
  type WitnessRecord,
  type LocalImsOptions,
} from './ims.js';
export { formatTokenStore, parseTokenStore, entryFromToken, aceDate, TokenStoreFormatError, type TokenStoreEntry } from './tokenStore.js';
export { buildTree, proofRoot } from './hashTree.js';
export { tokenizeVersion, auditObject, type AuditResult, type AuditItem, type AuditState } from './tokenize.js';
