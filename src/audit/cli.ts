/**
 * `distillery audit [<collection> | --all] [--json]`: audits every copy and prints what it found
 * and what to do. Exit 0 when every copy checked is intact, 1 when something is not, 2 on bad usage.
 */
import { createLogger } from '../log.js';
import { commandSettings } from '../settings/index.js';
import { collectionIdProblem } from '../runs/requests.js';
import { auditDepsFrom } from '../wiring.js';
import { runAudit, type AuditOutcome } from './run.js';

const USAGE = 'Usage: distillery audit <collection> | --all [--json]';

export interface AuditIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: AuditIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export async function auditCommand(args: string[], io: AuditIo = defaultIo): Promise<number> {
  const json = args.includes('--json');
  const all = args.includes('--all');
  const rest = args.filter((a) => a !== '--json' && a !== '--all');
  if ((all && rest.length) || (!all && rest.length !== 1) || rest.some((a) => a.startsWith('--'))) {
    io.err(`${USAGE}\n`);
    return 2;
  }
  const collectionId = all ? undefined : rest[0];
  if (collectionId !== undefined) {
    const problem = collectionIdProblem(collectionId);
    if (problem) {
      io.err(`${problem}\n`);
      return 2;
    }
  }
  const settings = await commandSettings(io.err);
  if (!settings) return 2;
  const log = createLogger({ file: settings.folders.logFile, level: settings.logLevel, name: 'audit' });
  const outcome = await runAudit(auditDepsFrom(settings, log), collectionId);
  if (json) io.out(`${JSON.stringify(outcome.records, null, 2)}\n`);
  else io.out(renderAudit(outcome));
  return outcome.ok ? 0 : 1;
}

export function renderAudit(outcome: AuditOutcome): string {
  const lines: string[] = [];
  for (const r of outcome.records) {
    lines.push(`${r.ok ? '✅' : '❌'} ${r.collectionId}: ${r.objects.length} object(s); ${r.copies.map((c) => `${c.copy} ${c.intact} of ${c.checked} intact`).join(', ') || 'nothing to audit'}`);
    for (const f of r.findings) lines.push(`   ${f.copy} ${f.state.toUpperCase()}: ${f.message}`);
    for (const c of r.copies) for (const n of c.notes) lines.push(`   ${c.copy}: ${n}`);
  }
  for (const n of outcome.notes) lines.push(`⚠️ ${n}`);
  lines.push(outcome.ok ? 'audit passed: every copy checked is intact' : 'AUDIT FAILED: see the problems above (also in the status folder, audit-status.json)');
  return `${lines.join('\n')}\n`;
}
