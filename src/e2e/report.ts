/**
 * The figures of an end-to-end session, printed as a table and saved as JSON so that releases can
 * be compared. Every figure with a goal says whether it met it; the session fails if one did not.
 */
import type { TakeoverTrial } from './takeover.js';

export interface CrashTrial {
  collectionId: string;
  phase: string;
  /** The stream line the kill was aimed after; absent when the run ended before that moment. */
  killedAfter?: string;
  /** The last line the run had written when it was killed. */
  lastLine?: string;
  /** The phase that last line belongs to (the kill is aimed at a phase; this is where it landed). */
  landedIn?: string;
  killed: boolean;
  /** Unfinished multipart uploads the resumed run found and aborted (a kill that landed mid-upload). */
  uploadsCleaned: number;
  /** alchemist --once passes it took (1 + restarts). */
  passes: number;
  finalState: string;
  problems: string[];
  seconds: number;
}

export interface E2EReport {
  date: string;
  mode: 'full' | 'quick';
  seed: number;
  cpus: number;
  main: {
    collectionId: string;
    folders: number;
    images: number;
    badFiles: number;
    largestImageMB: number;
    /** First run (with the bad files): state and reason as recorded. */
    firstRun: { state: string; reason?: string; seconds: number };
    /** After setting the bad files aside and submitting again. */
    secondRun: { state: string; seconds: number };
    imagesPerMinute: number;
    problems: string[];
  };
  crash: {
    trials: number;
    killsDelivered: number;
    killsByPhase: Record<string, number>;
    /** Kills by the phase the run was in when it died (read from its last line). */
    killsLandedIn: Record<string, number>;
    restarts: number;
    uploadsCleaned: number;
    secondsPerTrial: number;
    trialsDetail: CrashTrial[];
  };
  takeover: {
    trials: number;
    secondsPerTrial: number;
    trialsDetail: TakeoverTrial[];
  };
  figures: {
    filesLost: number;
    /** Takeover trials: an OCFL version, tape file or file version made twice. */
    duplicateEffects: number;
    duplicateDigitalObjects: number;
    duplicateComponents: number;
    duplicateOcflObjects: number;
    invalidOcflObjects: number;
    orphanedMultipartUploads: number;
    runsWithoutTruthfulFinalState: number;
    runsNotCompleted: number;
    /** Takeover trials where B did not take over, A did not stop saying so, or B's claim was touched. */
    takeoversNotClean: number;
    mainRunProblems: number;
  };
  goalsMet: boolean;
}

/** Every figure's goal is 0. */
export function goalsMet(f: E2EReport['figures']): boolean {
  return Object.values(f).every((v) => v === 0);
}

const LABELS: Record<keyof E2EReport['figures'], string> = {
  filesLost: 'files lost',
  duplicateEffects: 'duplicate effects (takeover)',
  duplicateDigitalObjects: 'duplicate digital objects',
  duplicateComponents: 'duplicate digital object components',
  duplicateOcflObjects: 'duplicate OCFL objects',
  invalidOcflObjects: 'invalid OCFL objects',
  orphanedMultipartUploads: 'orphaned multipart uploads',
  runsWithoutTruthfulFinalState: 'runs without a truthful final state',
  runsNotCompleted: 'runs not completed after restarts',
  takeoversNotClean: 'takeovers not clean',
  mainRunProblems: 'problems in the main run',
};

export function renderReport(r: E2EReport): string {
  const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - s.length));
  const rows: string[] = [];
  rows.push(`Distillery end-to-end report — ${r.date} (${r.mode}, seed ${r.seed}, ${r.cpus} CPUs)`);
  rows.push('');
  rows.push(`Main run: ${r.main.collectionId}, ${r.main.folders} folders, ${r.main.images} images (largest ${r.main.largestImageMB} MB), ${r.main.badFiles} bad file(s)`);
  rows.push(`  with bad files: ${r.main.firstRun.state} in ${r.main.firstRun.seconds} s — ${r.main.firstRun.reason ?? ''}`);
  rows.push(`  bad files set aside, submitted again: ${r.main.secondRun.state} in ${r.main.secondRun.seconds} s; ${r.main.imagesPerMinute} images/min`);
  for (const p of r.main.problems) rows.push(`  ✗ ${p}`);
  rows.push('');
  rows.push(`Crash trials: ${r.crash.trials}, kills delivered ${r.crash.killsDelivered} (${Object.entries(r.crash.killsByPhase).map(([k, v]) => `${k} ${v}`).join(', ')}), landed in ${Object.entries(r.crash.killsLandedIn).map(([k, v]) => `${k} ${v}`).join(', ')}; restarts ${r.crash.restarts}, interrupted uploads cleaned ${r.crash.uploadsCleaned}, ${r.crash.secondsPerTrial} s per trial`);
  for (const t of r.crash.trialsDetail) {
    rows.push(`  ${pad(t.collectionId, 8)} ${pad(t.phase, 21)} ${t.killed ? 'killed ' : 'ran out'} ${t.passes} passes → ${pad(t.finalState, 9)} ${pad(`${t.seconds} s`, 7)} ${t.killed ? `in ${pad(t.landedIn ?? '', 20)} last line: ${(t.lastLine ?? '').slice(0, 50)}` : ''}${t.problems.length ? `  ✗ ${t.problems.slice(0, 3).join('; ')}` : ''}`);
  }
  if (r.takeover.trials) {
    rows.push('');
    rows.push(`Takeover trials: ${r.takeover.trials}, ${r.takeover.secondsPerTrial} s per trial (A paused past the stale threshold, B takes over, A resumed)`);
    for (const t of r.takeover.trialsDetail) {
      rows.push(`  ${pad(t.collectionId, 8)} ${pad(t.phase, 21)} ${t.takenOver ? 'taken over' : 'NOT taken over'}, A ${t.aStoppedSayingSo ? 'stopped' : 'did NOT stop'}, B's claim ${t.bClaimIntact ? 'intact' : 'NOT intact'} → ${pad(t.finalState, 9)} by ${t.recordWorker ?? '?'}, ${t.duplicateEffects} duplicates ${pad(`${t.seconds} s`, 7)}${t.problems.length ? `  ✗ ${t.problems.slice(0, 3).join('; ')}` : ''}`);
    }
  }
  rows.push('');
  rows.push(`${pad('Figure', 40)} ${pad('value', 6)} goal`);
  for (const [k, v] of Object.entries(r.figures) as [keyof E2EReport['figures'], number][]) {
    rows.push(`${pad(LABELS[k], 40)} ${pad(String(v), 6)} 0 ${v === 0 ? '✓' : '✗'}`);
  }
  rows.push('');
  rows.push(r.goalsMet ? 'Every figure is at its goal.' : 'At least one figure missed its goal (see ✗ above).');
  return rows.join('\n');
}
