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

  /** The user with this e-mail address (compared case-insensitively), or undefined. */
  async find(email: string): Promise<WebUser | undefined> {
    return (await this.load()).get(email.trim().toLowerCase());
  }

  /** Every user, keyed by lower-case e-mail address. Throws UsersFileProblem. */
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
    if (this.cache && this.cache.mtimeMs === st.mtimeMs && this.cache.size === st.size) return this.cache.users;
    const users = parseUsers(await readFile(this.path, 'utf8'), this.path);
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
    const email = (row.email_address ?? '').toLowerCase();
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
      throw new UsersFileProblem(`The users file ${path}, line ${i + 2}: "${row.email_address ?? ''}" is not an e-mail address.`);
    }
    users.set(email, { email, name: row.display_name || email });
  });
  return users;
}
