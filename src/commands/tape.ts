/** `distillery tape …`: label a tape, show what is on it, rebuild the catalogue. */
export { tapeCommand } from '../destinations/tape/cli.js';
