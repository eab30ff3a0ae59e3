/** The four processes as the form shows them, and which ones this installation can run. */
import type { ModuleSettings } from '../settings/settings.js';
import { PROCESSES, type ProcessName } from '../runs/types.js';

export interface ProcessChoice {
  name: ProcessName;
  label: string;
  available: boolean;
  /** Why it cannot be chosen here. */
  note?: string;
}

/** The original form's labels. */
export const PROCESS_LABELS: Record<ProcessName, string> = {
  report: 'Report on available files',
  cloud: 'Preservation files to the cloud (S3 Glacier Deep Archive)',
  onsite: 'Preservation files onsite (LTO tape)',
  access: 'Access files to Islandora',
};

const SETTING: Record<Exclude<ProcessName, 'report'>, string> = {
  cloud: 'CLOUD_PLATFORM',
  onsite: 'ONSITE_MEDIUM',
  access: 'ACCESS_PLATFORM',
};

export function processChoices(modules: ModuleSettings): ProcessChoice[] {
  return PROCESSES.map((name) => {
    const label = name === 'access' && modules.access === 'iiif' ? 'Access files to IIIF (viewer)' : PROCESS_LABELS[name];
    if (name === 'report' || modules[name]) return { name, label, available: true };
    return { name, label, available: false, note: `Not available here: ${SETTING[name]} is not set in settings.ini.` };
  });
}

/** Why these processes cannot run on this installation, or undefined. */
export function unavailableProblem(processes: ProcessName[], modules: ModuleSettings): string | undefined {
  const off = processChoices(modules).filter((c) => !c.available && processes.includes(c.name));
  if (!off.length) return undefined;
  return off.map((c) => `"${c.label}" cannot be chosen: ${c.note!.replace(/^Not available here: /, '')}`).join(' ');
}
