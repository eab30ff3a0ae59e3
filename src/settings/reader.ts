/**
 * Reads typed values out of the `[settings]` section of settings.ini (plus environment
 * overrides), collecting every problem instead of stopping at the first. Each feature owns a
 * small `readXSettings(reader)` function; settings.ts composes them and reports all problems
 * at once, by key name, with what to do.
 */
export interface SettingsProblem {
  key: string;
  message: string;
}

export interface KeyOptions {
  /** What the key is for, shown with a problem so the fix is obvious. */
  help?: string;
}

export class SettingsReader {
  readonly problems: SettingsProblem[] = [];
  /** Keys whose values must never be printed (passwords, secret keys). */
  readonly secretKeys = new Set<string>();
  private readonly used = new Set<string>();

  /** Old names read in place of a key that was absent: [old name, key]. */
  readonly aliasesRead: [string, string][] = [];
  private readonly values: Readonly<Record<string, string | undefined>>;

  constructor(
    values: Readonly<Record<string, string | undefined>>,
    /** Where a key's value came from, for messages: "settings.ini" or "environment DISTILLERY_X". */
    private readonly sourceOf: (key: string) => string = () => 'settings.ini',
    /** Other names a key may have (the original's later names): read when the key itself is absent. */
    aliases: Readonly<Record<string, readonly string[]>> = {},
  ) {
    const resolved: Record<string, string | undefined> = { ...values };
    const blank = (v: string | undefined) => v === undefined || String(v).trim() === '';
    for (const [key, olds] of Object.entries(aliases)) {
      for (const old of olds) {
        if (blank(values[old])) continue;
        this.used.add(old);
        if (blank(resolved[key])) {
          resolved[key] = values[old];
          this.aliasesRead.push([old, key]);
        }
      }
    }
    this.values = resolved;
  }

  problem(key: string, message: string): void {
    this.problems.push({ key, message });
  }

  /** The raw value: undefined when absent or blank. */
  raw(key: string): string | undefined {
    this.used.add(key);
    const v = this.values[key];
    if (v === undefined) return undefined;
    const t = String(v).trim();
    return t === '' ? undefined : t;
  }

  /** Every key some part of Distillery asked for (to find keys nothing reads: typos, leftovers). */
  get keysRead(): ReadonlySet<string> {
    return this.used;
  }

  /** Keys present in settings.ini (or the environment) that nothing read. */
  unreadKeys(): string[] {
    return Object.keys(this.values).filter((k) => !this.used.has(k)).sort();
  }

  has(key: string): boolean {
    return this.raw(key) !== undefined;
  }

  string(key: string, opts: KeyOptions & { default: string }): string;
  string(key: string, opts?: KeyOptions & { required?: boolean }): string | undefined;
  string(key: string, opts: KeyOptions & { default?: string; required?: boolean } = {}): string | undefined {
    const v = this.raw(key);
    if (v !== undefined) return v;
    if (opts.default !== undefined) return opts.default;
    if (opts.required) this.missing(key, opts.help);
    return undefined;
  }

  /** Like string() but marks the key secret: check and logs show only whether it is set. */
  secret(key: string, opts: KeyOptions & { required?: boolean } = {}): string | undefined {
    this.secretKeys.add(key);
    return this.string(key, opts);
  }

  int(key: string, opts: KeyOptions & { default: number; min?: number; max?: number }): number {
    const v = this.raw(key);
    if (v === undefined) return opts.default;
    // Decimal digits only: Number() would also take 0x10, 1e3 or 0b1 and mean something else.
    const n = /^[+-]?\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n)) {
      this.problem(key, `must be a whole number in decimal digits, but ${this.sourceOf(key)} has "${v}".${hint(opts.help)}`);
      return opts.default;
    }
    if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
      this.problem(key, `must be between ${opts.min ?? '-∞'} and ${opts.max ?? '∞'}, but is ${n}.${hint(opts.help)}`);
      return opts.default;
    }
    return n;
  }

  bool(key: string, opts: KeyOptions & { default: boolean }): boolean {
    const v = this.raw(key);
    if (v === undefined) return opts.default;
    const l = v.toLowerCase();
    if (['true', 'yes', 'on', '1'].includes(l)) return true;
    if (['false', 'no', 'off', '0'].includes(l)) return false;
    this.problem(key, `must be true or false, but ${this.sourceOf(key)} has "${v}".${hint(opts.help)}`);
    return opts.default;
  }

  oneOf<T extends string>(key: string, choices: readonly T[], opts: KeyOptions & { default?: T; required?: boolean } = {}): T | undefined {
    const v = this.raw(key);
    if (v === undefined) {
      if (opts.required && opts.default === undefined) this.missing(key, opts.help);
      return opts.default;
    }
    if (!(choices as readonly string[]).includes(v)) {
      this.problem(key, `must be one of ${choices.join(', ')}, but ${this.sourceOf(key)} has "${v}".${hint(opts.help)}`);
      return opts.default;
    }
    return v as T;
  }

  url(key: string, opts: KeyOptions & { required?: boolean; default?: string } = {}): string | undefined {
    const v = this.string(key, opts as KeyOptions & { required?: boolean });
    const value = v ?? opts.default;
    if (value === undefined) return undefined;
    try {
      const u = new URL(value);
      if (!['http:', 'https:'].includes(u.protocol)) throw new Error('not http');
    } catch {
      this.problem(key, `must be an http(s) URL such as https://example.org:8089, but is "${value}".${hint(opts.help)}`);
      return undefined;
    }
    return value.replace(/\/+$/, '');
  }

  private missing(key: string, help?: string): void {
    this.problem(key, `is required but missing: add ${key}=… to the [settings] section of settings.ini.${hint(help)}`);
  }
}

function hint(help?: string): string {
  return help ? ` (${help})` : '';
}
