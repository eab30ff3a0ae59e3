export { LocalIms, LOCAL_IMS_HOST, type Ims, type TokenRequest, type TokenResponse, type RoundSummary, type LocalImsOptions } from './ims.js';
export { formatTokenStore, parseTokenStore, entryFromToken, aceDate, TokenStoreFormatError, type TokenStoreEntry } from './tokenStore.js';
export { buildTree, proofRoot } from './hashTree.js';
export { tokenizeVersion, auditObject, type AuditResult, type AuditItem, type AuditState, type AuditOptions } from './tokenize.js';
