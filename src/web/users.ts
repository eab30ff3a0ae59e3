/**
 * The people allowed to use the form: `users.csv` with the original's columns
 * `email_address,display_name`. Re-read whenever the file changes (size or mtime), so the
 * librarian adds a person by editing the file, with no restart.
 */
import { readFile, stat } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';

export interface WebUser {
  email: string;
  name: string;
}

/** The users file cannot be used; the message says what to fix. Retrying cannot help until the file is fixed. */
export class UsersFileProblem extends Error {
  override readonly name = 'UsersFileProblem';
}

export class UsersFile {
  private cache?: { mtimeMs: number; size: number; users: Map<string, WebUser> };

  constructor(readonly path: string) {}

  /** The user with this e-mail address (compared normalised: NFC, case-folded), or undefined. */
  async find(email: string): Promise<WebUser | undefined> {
    return (await this.load()).get(identityKey(email));
  }

  /** Every user, keyed by identityKey(e-mail address). Throws UsersFileProblem. */
  async load(): Promise<Map<string, WebUser>> {
    let st;
    try {
      st = await stat(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new UsersFileProblem(`The users file ${this.path} does not exist: create it with the header line "email_address,display_name" and one line per person (see example-users.csv), or set USERS_FILE in settings.ini.`);
      }
      throw new UsersFileProblem(`The users file ${this.path} cannot be read (${(err as Error).message}): check its permissions.`);
    }
    if (!st.isFile()) throw new UsersFileProblem(`The users file ${this.path} is not a file (a folder?): USERS_FILE must name a CSV file.`);
    if (this.cache && this.cache.mtimeMs === st.mtimeMs && this.cache.size === st.size) return this.cache.users;
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      throw new UsersFileProblem(`The users file ${this.path} cannot be read (${(err as Error).message}): check its permissions.`);
    }
    const users = parseUsers(text, this.path);
    this.cache = { mtimeMs: st.mtimeMs, size: st.size, users };
    return users;
  }
}

export function parseUsers(text: string, path: string): Map<string, WebUser> {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), bom: true, trim: true, skip_empty_lines: true });
  } catch (err) {
    throw new UsersFileProblem(`The users file ${path} is not valid CSV: ${(err as Error).message}. Fix the line named and reload the page.`);
  }
  const users = new Map<string, WebUser>();
  if (rows.length === 0 && text.trim() === '') return users;
  const columns = rows.length ? Object.keys(rows[0]) : text.split(/\r?\n/)[0].split(',').map((c) => c.trim().toLowerCase());
  if (!columns.includes('email_address') || !columns.includes('display_name')) {
    throw new UsersFileProblem(`The users file ${path} must start with the header line "email_address,display_name" (found "${columns.join(',')}").`);
  }
  rows.forEach((row, i) => {
    const email = (row.email_address ?? '').normalize('NFC');
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
      throw new UsersFileProblem(`The users file ${path}, line ${i + 2}: "${row.email_address ?? ''}" is not an e-mail address.`);
    }
    users.set(identityKey(email), { email: email.toLowerCase(), name: (row.display_name || email).normalize('NFC') });
  });
  return users;
}

/**
 * How identities are compared: Unicode NFC (one form for "é", whether typed as one character or
 * as "e" and an accent) and case-folded (upper-casing first folds ß to SS and similar, then lower
 * case), so the proxy's spelling and users.csv's need not agree byte for byte.
 */
export function identityKey(email: string): string {
  return email.trim().normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}
