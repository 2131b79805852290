// Every block of the keyword table, for "did you mean" across blocks and the docs generator.
import type { BlockDef, Keyword } from './schema.js';
import { rootBlock } from './blocks/root.js';

/** All blocks reachable from the root, each once. */
export function allBlockDefs(): BlockDef<unknown>[] {
  const seen = new Set<BlockDef<unknown>>();
  const visit = (b: BlockDef<unknown>): void => {
    if (seen.has(b)) return;
    seen.add(b);
    for (const k of b.keywords as Keyword<unknown>[]) if (k.block) visit(k.block());
  };
  visit(rootBlock as BlockDef<unknown>);
  return [...seen];
}
