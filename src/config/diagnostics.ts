// Config diagnostics. Every problem names the place it comes from (DESIGN.md principle 7).

/**
 * error:    keepalived reports it and `keepalived -t` fails on it (keel -t exits non-zero).
 * warning:  keepalived also reports it (warnings, deprecations); like keepalived, keel -t fails.
 * security: keepalived's script-security violations; exit code 6 as keepalived's.
 * hint:     keel-only advice (known traps); never changes the exit code.
 * notice:   informational ("accepted, not yet acted on"); never changes the exit code.
 */
export type Severity = 'error' | 'warning' | 'security' | 'hint' | 'notice';

export interface Pos {
  file: string;
  line: number;
  col?: number;
}

export interface Diagnostic {
  severity: Severity;
  message: string;
  pos?: Pos;
  /** keepalived classifies some errors as fatal (missing file, bad interface). */
  fatal?: boolean;
  /** keepalived stops reading at once (a missing parameter) and exits 2. */
  abort?: boolean;
  /** A checked include failed: keepalived gives up before using the config and exits 6. */
  noConfig?: boolean;
}

export class Diagnostics {
  readonly list: Diagnostic[] = [];

  add(severity: Severity, message: string, pos?: Pos, fatal = false): void {
    const d: Diagnostic = { severity, message };
    if (pos) d.pos = pos;
    if (fatal) d.fatal = true;
    this.list.push(d);
  }
  error(message: string, pos?: Pos): void { this.add('error', message, pos); }
  warning(message: string, pos?: Pos): void { this.add('warning', message, pos); }
  hint(message: string, pos?: Pos): void { this.add('hint', message, pos); }
  notice(message: string, pos?: Pos): void { this.add('notice', message, pos); }
  security(message: string, pos?: Pos): void { this.add('security', message, pos); }
  fatal(message: string, pos?: Pos): void { this.add('error', message, pos, true); }
  /** A checked include failed (includer/includem/..., include_check, -e): exit 6. */
  noConfig(message: string, pos?: Pos): void {
    const d: Diagnostic = { severity: 'error', message, fatal: true, noConfig: true };
    if (pos) d.pos = pos;
    this.list.push(d);
  }
  /** keepalived stops reading the configuration here (exit 2). */
  abort(message: string, pos?: Pos): void {
    const d: Diagnostic = { severity: 'error', message, abort: true, fatal: true };
    if (pos) d.pos = pos;
    this.list.push(d);
  }

  /** True when keepalived -t would fail on what was reported. */
  get failing(): boolean {
    return this.list.some((d) => d.severity === 'error' || d.severity === 'warning' || d.severity === 'security');
  }
}

/** keepalived's `-t` exit codes (KEEPALIVED_CHK_EXIT_*). */
export const EXIT_OK = 0;
/** KEEPALIVED_EXIT_CONFIG: keepalived gave up reading the configuration. */
export const EXIT_ABORT = 2;
/** KEEPALIVED_EXIT_NO_CONFIG: a checked configuration file was missing. */
export const EXIT_NO_CONFIG = 6;
export const EXIT_CONFIG = 4;
export const EXIT_CONFIG_TEST = 5;
export const EXIT_CONFIG_TEST_SECURITY = 6;

/**
 * keepalived keeps the highest-ranked error kind seen and maps it to an exit code; security
 * ranks highest, then ordinary errors and warnings, then the fatal kinds (missing file, bad
 * interface), so a fatal error with any warning beside it still exits 5, as keepalived does.
 */
export function exitCodeFor(diags: readonly Diagnostic[]): number {
  if (diags.some((d) => d.abort)) return EXIT_ABORT;
  if (diags.some((d) => d.noConfig)) return EXIT_NO_CONFIG;
  if (diags.some((d) => d.severity === 'security')) return EXIT_CONFIG_TEST_SECURITY;
  if (diags.some((d) => !d.fatal && (d.severity === 'error' || d.severity === 'warning'))) return EXIT_CONFIG_TEST;
  if (diags.some((d) => d.fatal)) return EXIT_CONFIG;
  return EXIT_OK;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.pos ? `${d.pos.file}:${d.pos.line}: ` : '';
  const sev = d.severity === 'error' ? '' : `${d.severity}: `;
  return `${where}${sev}${d.message}`;
}
