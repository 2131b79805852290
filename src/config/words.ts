// keepalived's second word splitter (alloc_strvec_quoted_escaped): used for script command
// lines and other "quoted keywords". Single and double quotes group words, and C-like escapes
// (\n \t \xHH \NNN \cC ...) are decoded inside and outside quotes. Never a shell.
import type { Args } from './args.js';

export interface SplitResult {
  words: string[];
  error?: string;
}

export function splitQuotedEscaped(src: string): SplitResult {
  const words: string[] = [];
  let i = 0;
  const n = src.length;
  const isWs = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
  while (i < n) {
    while (i < n && isWs(src[i]!)) i++;
    if (i >= n) break;
    let out = '';
    let quote = '';
    for (;;) {
      if (i >= n) {
        if (quote) return { words, error: `String '${src}': missing terminating ${quote}` };
        break;
      }
      const c = src[i]!;
      if (c === '\\') {
        i++;
        if (i >= n) return { words, error: `Missing escape char at end: '${src}'` };
        const e = src[i]!;
        if (e === 'x' && /[0-9a-fA-F]/.test(src[i + 1] ?? '')) {
          i++;
          let v = 0;
          while (i < n && /[0-9a-fA-F]/.test(src[i]!)) v = ((v << 4) | parseInt(src[i++]!, 16)) & 0xff;
          out += String.fromCharCode(v);
        } else if (e === 'c' && i + 1 < n) {
          out += String.fromCharCode(src.charCodeAt(i + 1) & 0x1f);
          i += 2;
        } else if (e >= '0' && e <= '7') {
          let v = 0;
          let k = 0;
          while (k < 3 && i < n && src[i]! >= '0' && src[i]! <= '7') {
            v = (v << 3) + (src.charCodeAt(i) - 48);
            i++;
            k++;
          }
          out += String.fromCharCode(v & 0xff);
        } else {
          const map: Record<string, string> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
          out += map[e] ?? e;
          i++;
        }
        continue;
      }
      if (quote) {
        if (c === quote) {
          quote = '';
          i++;
          continue;
        }
        out += c;
        i++;
        continue;
      }
      if (c === '"' || c === "'") {
        quote = c;
        i++;
        continue;
      }
      if (isWs(c)) break;
      out += c;
      i++;
    }
    words.push(out);
  }
  return { words };
}

/** A script given on a config line: the command as written, its argv, and an optional user/group. */
export interface ScriptSpec {
  /** The command as written (the second word of the line). */
  command: string;
  /** The command split into argv with keepalived's quoting rules. */
  argv: string[];
  user?: string;
  group?: string;
}

/**
 * Read `KEYWORD SCRIPT [USER [GROUP]]` the way keepalived's notify_script_init() does: re-split the
 * whole line with quotes and escapes, then split SCRIPT again into argv.
 */
export function readScript(a: Args, offset = 1): ScriptSpec | undefined {
  const line = splitQuotedEscaped(a.stmt.raw);
  if (line.error) {
    a.error(line.error);
    return undefined;
  }
  const command = line.words[offset];
  if (command === undefined) {
    a.error(`${a.keyword}: no script given`);
    return undefined;
  }
  const argv = splitQuotedEscaped(command);
  if (argv.error || argv.words.length === 0) {
    // Splitting the script reports a bad quote or escape; an empty script keepalived only logs
    // and drops (`notify_master ""` from an unset template variable passes -t). A vrrp_script
    // left without a script is reported later.
    if (argv.error) a.error(argv.error);
    a.hint(`Unable to parse script '${command}' - ignoring`);
    return undefined;
  }
  const spec: ScriptSpec = { command, argv: argv.words };
  const user = line.words[offset + 1];
  const group = line.words[offset + 2];
  if (user !== undefined) spec.user = user;
  if (group !== undefined) spec.group = group;
  return spec;
}
