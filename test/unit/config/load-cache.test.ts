// LoadCache: a reload parses only the top-level statements that changed and reuses the virtual
// servers of unchanged statements; what it returns is what a load without the cache returns (same
// trees, same positions, same messages, the same Config).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Diagnostics } from '../../../src/config/diagnostics.js';
import { ParseCache, parseText } from '../../../src/config/parse.js';
import { LoadCache, loadConfigText } from '../../../src/config/build.js';
import { configToJson } from '../../../src/config/json.js';
import { SHARED } from '../../helpers/env.js';

const vs = (n: number, weight = 1): string => `virtual_server 10.0.0.${n} 80 {
  lb_algo rr
  lvs_method DR
  protocol TCP
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

/** Load with the cache and without; both must give the same Config and messages. */
function load(text: string, cache: LoadCache): { reused: number; messages: string[] } {
  const opts = { interfaceExists: () => true };
  const a = loadConfigText(text, { ...opts, cache });
  const b = loadConfigText(text, opts);
  assert.equal(configToJson(a.config), configToJson(b.config), 'the same Config as a load without the cache');
  const msgs = (d: typeof a.diagnostics): string[] => d.list.map((x) => `${x.pos?.line} ${x.severity} ${x.message}`);
  assert.deepEqual(msgs(a.diagnostics), msgs(b.diagnostics));
  return { reused: cache.reused, messages: msgs(a.diagnostics) };
}

describe('LoadCache', () => {
  it('reuses the virtual servers whose statement did not change', () => {
    const cache = new LoadCache();
    assert.equal(load(CONFIG(), cache).reused, 0);
    assert.equal(load(CONFIG(5), cache).reused, 2, 'the other two virtual servers');
    assert.equal(load(CONFIG(5), cache).reused, 3, 'nothing changed');
    // Lines added above: every statement moved, its positions changed: all rebuilt.
    assert.equal(load(CONFIG(5, '# moved\n'), cache).reused, 0);
  });

  it('rebuilds every virtual server when another top-level statement changed', () => {
    const cache = new LoadCache();
    load(CONFIG(), cache);
    const other = CONFIG().replace('router_id keel', 'router_id keel2');
    assert.equal(load(other, cache).reused, 0);
    assert.equal(load(other, cache).reused, 3);
  });

  it('never reuses a virtual server with scripts, in a group, or with a message', () => {
    const cache = new LoadCache();
    const text = `${vs(1)}virtual_server 10.0.0.2 80 {
  protocol TCP
  lvs_method DR
  quorum_up /bin/true
  real_server 10.1.0.2 80 {
  }
}
virtual_server_group G {
  10.0.0.3 80
}
virtual_server group G {
  protocol TCP
  lvs_method DR
  real_server 10.1.0.3 80 {
  }
}
virtual_server 10.0.0.4 80 {
  protocol TCP
  lvs_method DR
  lb_algo nosuch
  real_server 10.1.0.4 80 {
  }
}
`;
    load(text, cache);
    assert.equal(load(text, cache).reused, 1, 'only the plain one');
  });

  it('after a load with errors, the next load is still the same as without the cache', () => {
    const cache = new LoadCache();
    load(CONFIG(), cache);
    const bad = load(CONFIG(2).replace('lb_algo rr', 'lb_algo rr\n  no_such_keyword 1'), cache);
    assert.ok(bad.messages.some((m) => m.includes('no_such_keyword')));
    load(CONFIG(3), cache);
    assert.equal(load(CONFIG(3), cache).reused, 3);
  });
});
