// ParseCache: a reload parses only the top-level statements that changed, and what it returns is
// what a parse without the cache returns (same trees, same positions, same messages).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Diagnostics } from '../../../src/config/diagnostics.js';
import { ParseCache, parseText } from '../../../src/config/parse.js';
import { SHARED } from '../../helpers/env.js';

const vs = (n: number, weight = 1): string => `virtual_server 10.0.0.${n} 80 {
  lb_algo rr
  real_server 10.1.0.${n} 80 {
    weight ${weight}
    TCP_CHECK {
      connect_timeout 3
    }
  }
}
`;

const CONFIG = (w = 1, extra = ''): string => `global_defs {
  router_id keel
}
${extra}${vs(1)}${vs(2, w)}${vs(3)}`;

function parse(text: string, cache?: ParseCache): { tree: unknown; diags: string[] } {
  const d = new Diagnostics();
  const r = parseText(text, d, {}, 'keepalived.conf', cache);
  return { tree: r.tree, diags: d.list.map((x) => `${x.pos?.line}:${x.pos?.col} ${x.message}`) };
}

describe('ParseCache', () => {
  it('parses only the statement that changed', () => {
    const cache = new ParseCache();
    parse(CONFIG(), cache);
    assert.deepEqual([cache.hits, cache.misses], [0, 4]);
    const again = parse(CONFIG(7), cache);
    assert.deepEqual([cache.hits, cache.misses], [3, 1], 'one virtual_server changed');
    assert.deepEqual(again.tree, parse(CONFIG(7)).tree);
  });

  it('shifts the positions of statements that moved', () => {
    const cache = new ParseCache();
    parse(CONFIG(), cache);
    const text = CONFIG(1, '# two lines\n# added\n');
    const cached = parse(text, cache);
    assert.equal(cache.hits, 4, 'every statement found');
    assert.deepEqual(cached.tree, parse(text).tree, 'the same trees, lines shifted by two');
  });

  it('does not keep a statement that produced a message, and reports it every time', () => {
    const cache = new ParseCache();
    const text = `${vs(1)}virtual_server 10.0.0.9 80 {\n  virtualhost "unterminated\n}\n`;
    const first = parse(text, cache);
    assert.ok(first.diags.some((m) => m.includes("Unmatched quote")), first.diags.join("; "));
    const second = parse(text, cache);
    assert.deepEqual(second.diags, first.diags);
    assert.deepEqual([cache.hits, cache.misses], [1, 1]);
  });

  it('parses a file with stray braces whole, as without a cache', () => {
    const cache = new ParseCache();
    for (const text of [`${vs(1)}}\n${vs(2)}`, `${vs(1)}{\n${vs(2)}`, `${vs(1)}virtual_server 10.0.0.5 80 {\n`]) {
      const cached = parse(text, cache);
      assert.deepEqual(cached, parse(text), text);
    }
  });

  it('gives the same trees and messages as a parse without it for every corpus config', () => {
    const dir = join(SHARED, 'corpus', 'keepalived-samples');
    let n = 0;
    for (const f of readdirSync(dir)) {
      const text = readFileSync(join(dir, f), 'utf8');
      const cache = new ParseCache();
      parse(text, cache);
      // Twice: the second parse is all hits.
      assert.deepEqual(parse(text, cache), parse(text), f);
      n++;
    }
    assert.ok(n > 5, `corpus configs read: ${n}`);
  });
});
