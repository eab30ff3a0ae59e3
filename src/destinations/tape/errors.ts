/** Faults an operator must act on before a rerun can help (load a tape, remove write protect…). */
import { PermanentError } from '../../policies.js';

export class TapeNotReadyError extends PermanentError {
  constructor(message: string, readonly reason: 'no-tape' | 'unlabelled' | 'full' | 'write-protected' | 'wrong-tape' | 'drive') {
    super(message);
  }
}

/** A tape file did not read back as written: it is not counted as holding anything. */
export class TapeVerifyError extends PermanentError {}
