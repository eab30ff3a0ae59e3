/** `distillery report <collection> [--json]`: what a run would find and do, writing nothing. */
export { reportCommand } from '../report/cli.js';
