/** What a validation reports: every problem found, each with its OCFL code and where it is. */
export type Severity = 'error' | 'warning' | 'info';

export interface ValidationIssue {
  /** OCFL validation code (E001…, W001…), or a Distillery note code (I-PAYLOAD-ELSEWHERE). */
  code: string;
  severity: Severity;
  message: string;
  /** The file or directory concerned. */
  path: string;
}

export interface ValidationResult {
  /** True when there is no error (warnings allowed). */
  valid: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  /** Information that is neither error nor warning, e.g. payload held elsewhere. */
  notes: ValidationIssue[];
  /** Objects looked at (1 for an object, N for a storage root). */
  objects: number;
}

export class Collector {
  readonly errors: ValidationIssue[] = [];
  readonly warnings: ValidationIssue[] = [];
  readonly notes: ValidationIssue[] = [];
  objects = 0;

  error(code: string, path: string, message: string): void {
    this.errors.push({ code, severity: 'error', message, path });
  }
  warn(code: string, path: string, message: string): void {
    this.warnings.push({ code, severity: 'warning', message, path });
  }
  note(code: string, path: string, message: string): void {
    this.notes.push({ code, severity: 'info', message, path });
  }
  result(): ValidationResult {
    return { valid: this.errors.length === 0, errors: this.errors, warnings: this.warnings, notes: this.notes, objects: this.objects };
  }
}
