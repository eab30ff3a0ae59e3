/**
 * The S3-compatible server for tests: fauxqs under Node 22 on 127.0.0.1, with S3's BadDigest
 * check and ListMultipartUploads added (see src/destinations/s3/localServer.ts, shared with the
 * benchmark). `stop()` ends it and removes its storage; `kill()` + `restart()` model a crash.
 */
export { startLocalS3Server as startS3Server, type S3TestServer } from '../../src/destinations/s3/localServer.js';
