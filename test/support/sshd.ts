/** The Islandora host stand-in (a real OpenSSH server with the drush stand-in), shared with the demo. */
export { startSshd, type SshdHandle } from '../../src/destinations/islandora/standin/sshd.js';
