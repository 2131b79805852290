// The one keyword table (DESIGN.md principle 4): every keepalived keyword is declared once with
// its block, syntax, default, aliases and whether keel acts on it. The builder, `keel -t`'s
// "did you mean", the docs' keyword reference and --dump-json all read these declarations.
import { Args } from './args.js';
import type { Diagnostics, Pos } from './diagnostics.js';
import type { Stmt } from './tree.js';
import type { Config } from './types.js';

/**
 * yes:     keel parses it into the typed Config and the runtime uses it.
 * not-yet: keel parses and validates it, but does not act on it yet; `keel -t` says so.
 * never:   keel accepts it for compatibility and will not act on it (documented why).
 */
export type Support = 'yes' | 'not-yet' | 'never';

export interface BuildContext {
  diags: Diagnostics;
  config: Config;
  /** Keywords already reported as not acted on (one notice per keyword). */
  noticed: Set<string>;
  /** Does an interface exist? (`keel -t` checks as keepalived does.) */
  interfaceExists(name: string): boolean;
  /** Set while building, for cross-block defaults (e.g. the enclosing virtual_server). */
  scratch: Record<string, unknown>;
  /**
   * Statements that keepalived reads one level up, after the statement just applied: set when a
   * stray '{' made a '}' end the block early (see walk()).
   */
  spill?: Item[];
  /** A reload's virtual servers taken whole from the last load (see LoadCache in build.ts). */
  reuse?: VsReuse;
}

/** What buildConfig() and the LVS blocks share to reuse unchanged virtual servers. */
export interface VsReuse {
  /** virtual_server statements unchanged since the last load -> what they gave then. */
  from: Map<Stmt, unknown>;
  /** The virtual servers taken from `from` in this load (their checks are skipped). */
  taken: Set<unknown>;
  /** This load's virtual servers built from their statement without any message (to remember). */
  clean: Map<unknown, Stmt>;
}

/** A '}' that keepalived reads as closing the enclosing block (or, at the top, as a keyword). */
interface StrayClose {
  strayClose: Pos;
}
type Item = Stmt | StrayClose;

export interface Keyword<T> {
  name: string;
  /** Syntax of the arguments, for docs and messages, e.g. "SECS" or "IP [PORT]". */
  args?: string;
  /** One line on what it does. */
  doc?: string;
  /** Default, as documentation text. */
  default?: string;
  support?: Support;
  /** Why keel does not act on it (for not-yet / never). */
  note?: string;
  /** The keyword is an old name of this one; the handler of the canonical keyword is used. */
  aliasOf?: string;
  /** keepalived reports this deprecation as a config error (and so fails `-t`). */
  deprecated?: string;
  /** keepalived only logs this deprecation; `-t` still passes, keel prints it as a hint. */
  obsolete?: string;
  /** The keyword opens a block of keywords. */
  block?: () => BlockDef<unknown>;
  /** The keyword opens a block of raw lines (addresses, routes, names). */
  lines?: boolean;
  /** The keyword's block is optional (keepalived accepts it with and without one). */
  optionalBlock?: boolean;
  /** Read the statement into the target. For block keywords, walk the block here. */
  handle(target: T, a: Args, ctx: BuildContext): void;
}

export interface BlockDef<T> {
  /** Block name as written in the config (e.g. "vrrp_instance") or a pseudo-name ("address-line"). */
  name: string;
  doc?: string;
  keywords: Keyword<T>[];
  /** Lookup map, built on first use. */
  index?: Map<string, Keyword<T>>;
}

export function defineBlock<T>(name: string, keywords: Keyword<T>[], doc?: string): BlockDef<T> {
  const b: BlockDef<T> = { name, keywords };
  if (doc !== undefined) b.doc = doc;
  return b;
}

function indexOf<T>(b: BlockDef<T>): Map<string, Keyword<T>> {
  if (!b.index) {
    b.index = new Map();
    for (const k of b.keywords) {
      if (b.index.has(k.name)) throw new Error(`keyword ${b.name}/${k.name} declared twice`);
      b.index.set(k.name, k);
    }
  }
  return b.index;
}

export function findKeyword<T>(b: BlockDef<T>, name: string): Keyword<T> | undefined {
  return indexOf(b).get(name);
}

/** Levenshtein distance, bounded, for "did you mean". */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[n]!;
}

export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  // Keywords are short; a long word is no misspelling of one (and would cost O(n*m)).
  if (name.length > 64) return undefined;
  let best: string | undefined;
  let bestD = Infinity;
  const lower = name.toLowerCase();
  for (const c of candidates) {
    const d = c.toLowerCase() === lower ? 0.5 : editDistance(lower, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return best !== undefined && bestD <= limit ? best : undefined;
}

/** Where else a misplaced keyword would be valid: filled by the registry. */
let blockRegistry: BlockDef<unknown>[] = [];
export function registerBlocks(blocks: BlockDef<unknown>[]): void {
  blockRegistry = blocks;
}
export function allBlocks(): readonly BlockDef<unknown>[] {
  return blockRegistry;
}

function unknownKeyword(b: BlockDef<unknown>, s: Stmt, ctx: BuildContext): void {
  const name = s.words[0]!.text;
  let msg = `Unknown keyword '${name}'`;
  const near = suggest(name, indexOf(b).keys());
  if (near) msg += ` - did you mean '${near}'?`;
  else {
    const elsewhere = blockRegistry.filter((o) => o !== b && indexOf(o).has(name)).map((o) => o.name);
    if (elsewhere.length) msg += ` here (in ${b.name}); it belongs in ${elsewhere.slice(0, 3).join(', ')}`;
  }
  ctx.diags.error(msg, { ...s.pos, col: s.words[0]!.col });
}

/**
 * Apply one statement of block `b` to `target`. `following` are the statements after it in the
 * same block: when a block keyword has no '{', keepalived reads them as its block. Returns true
 * when it consumed them.
 */
export function applyStatement<T>(b: BlockDef<T>, s: Stmt, target: T, ctx: BuildContext, following: () => readonly Stmt[] = () => []): boolean {
  const name = s.words[0]!.text;
  let kw = indexOf(b).get(name);
  if (!kw) {
    unknownKeyword(b as BlockDef<unknown>, s, ctx);
    if (s.block) {
      // keepalived ignores the '{' and reads the block's lines at the same level.
      ctx.diags.error(`Unexpected '{' - ignoring`, s.open);
      ctx.spill = s.block;
    }
    return false;
  }
  const pos: Pos = s.pos;
  if (kw.deprecated) ctx.diags.warning(kw.deprecated, pos);
  if (kw.obsolete) ctx.diags.hint(kw.obsolete, pos);
  if (kw.aliasOf) {
    const canon = indexOf(b).get(kw.aliasOf);
    if (canon) kw = { ...canon, support: kw.support ?? canon.support };
  }
  const support = kw.support ?? 'yes';
  if (support !== 'yes' && !ctx.noticed.has(`${b.name}/${kw.name}`)) {
    ctx.noticed.add(`${b.name}/${kw.name}`);
    ctx.diags.notice(`'${name}' accepted, not yet acted on${kw.note ? ` (${kw.note})` : ''}`, pos);
  }
  const takesBlock = !!(kw.block || kw.lines);
  let consumed = false;
  if (takesBlock && !s.block && !kw.optionalBlock) {
    // keepalived reads the rest of the enclosing block as this keyword's block. For a block of
    // keywords that is a config error; for a block of lines it only logs.
    if (kw.block) ctx.diags.error(`Missing '{' at beginning of configuration block`, pos);
    else ctx.diags.hint(`'{' missing from beginning of block ${name}: the lines after it up to '}' are read as its block`, pos);
    s = { ...s, block: [...following()] };
    consumed = true;
  }
  if (!takesBlock && s.block) {
    ctx.diags.error(`Unexpected '{' - ignoring`, s.open);
  }
  kw.handle(target, new Args(s, ctx.diags), ctx);
  if (!takesBlock && s.block) ctx.spill = s.block;
  return consumed;
}

/**
 * Apply every statement of a block. keepalived opens a level only for a keyword that takes a
 * block: after any other statement the '{' is ignored, its lines are read at the current level,
 * and its '}' ends the current block, so the rest of the current block is read one level up
 * (and so on outwards; at the top level such a '}' is an unknown keyword).
 */
export function walk<T>(b: BlockDef<T>, stmts: readonly Stmt[] | undefined, target: T, ctx: BuildContext): void {
  if (!stmts) return;
  let items: readonly Item[] = stmts;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if ('strayClose' in it) {
      // Only the top level has no enclosing block for the '}' to close.
      if (b.name !== 'root') {
        ctx.spill = items.slice(i + 1);
        return;
      }
      ctx.diags.error(`Unknown keyword '}'`, it.strayClose);
      continue;
    }
    ctx.spill = undefined;
    const rest = items;
    const consumed = applyStatement(b, it, target, ctx, () => untilClose(rest, i + 1));
    const spill = ctx.spill as Item[] | undefined;
    ctx.spill = undefined;
    if (consumed) {
      // The statements up to the next stray '}' were read as this keyword's block, and that '}'
      // ended it: this block goes on after it.
      const next = items.findIndex((x, j) => j > i && 'strayClose' in x);
      if (next < 0) break;
      i = next;
    } else if (spill) {
      items = [...items.slice(0, i + 1), ...spill, { strayClose: it.close ?? it.pos }, ...items.slice(i + 1)];
    }
  }
}

/** The statements from index `from` up to the first stray '}'. */
function untilClose(items: readonly Item[], from: number): Stmt[] {
  const out: Stmt[] = [];
  for (let j = from; j < items.length; j++) {
    const x = items[j]!;
    if ('strayClose' in x) break;
    out.push(x);
  }
  return out;
}

/** Helper for block keywords: walk the statement's own block with the child block definition. */
export function walkChild<C>(a: Args, b: BlockDef<C>, child: C, ctx: BuildContext): C {
  walk(b, a.stmt.block, child, ctx);
  return child;
}

/** The lines of a raw-line block (virtual_ipaddress, group, ...); nested blocks are errors. */
export function blockLines(a: Args, ctx: BuildContext): Args[] {
  const out: Args[] = [];
  const visit = (stmts: readonly Stmt[] | undefined): void => {
    for (const s of stmts ?? []) {
      out.push(new Args(s, ctx.diags));
      if (s.block) {
        ctx.diags.error(`Unexpected '{' in ${a.keyword} block`, s.open);
        visit(s.block);
      }
    }
  };
  visit(a.stmt.block);
  return out;
}

/** The first words of a block's lines when each line names one thing (sync group members, e-mail). */
export function blockWords(a: Args, ctx: BuildContext): { word: string; a: Args }[] {
  const out: { word: string; a: Args }[] = [];
  for (const l of blockLines(a, ctx)) for (let i = 0; i < l.length; i++) out.push({ word: l.word(i)!, a: l });
  return out;
}
