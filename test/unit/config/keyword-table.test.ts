// The keyword table covers keepalived 2.2.7's keywords, and the generated reference is current.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { allBlockDefs } from '../../../src/config/registry.js';
import type { Keyword } from '../../../src/config/schema.js';
import { keywordReference } from '../../../src/config/keyword-docs.js';
import { ROOT, SHARED } from '../../helpers/env.js';

// Keyword names registered by keepalived 2.2.7's parsers (install_keyword* calls in its source).
const KA227 = readFileSync(join(ROOT, 'test', 'unit', 'config', 'data', 'keepalived-2.2.7-keywords.txt'), 'utf8')
  .split('\n').map((l) => l.trim()).filter(Boolean);

function keelKeywords(): Set<string> {
  const s = new Set<string>();
  for (const b of allBlockDefs()) for (const k of b.keywords as Keyword<unknown>[]) s.add(k.name);
  return s;
}

test('every keyword keepalived 2.2.7 registers is in the keyword table', () => {
  const have = keelKeywords();
  const missing = KA227.filter((k) => !have.has(k));
  assert.deepEqual(missing, [], `keywords keepalived 2.2.7 accepts but keel does not know: ${missing.join(', ')}`);
});

test('keywords only newer keepalived knows stay unknown, as keepalived 2.2.7 rejects them', { skip: existsSync(SHARED) ? false : 'needs ../shared' }, () => {
  const tsv = readFileSync(join(SHARED, 'research', 'keepalived-keywords.tsv'), 'utf8').split('\n')
    .filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t'))
    .filter(([block]) => !['lexical', 'preproc', 'address-line', 'route-line', 'rule-line'].includes(block!))
    .map(([, kw]) => kw!).filter((kw) => /^[A-Za-z_][A-Za-z0-9_-]*$/.test(kw));
  const known = new Set(KA227);
  const newer = [...new Set(tsv.filter((k) => !known.has(k)))];
  const have = keelKeywords();
  const accepted = newer.filter((k) => have.has(k));
  assert.deepEqual(accepted, [], `keel accepts keywords keepalived 2.2.7 does not: ${accepted.join(', ')}`);
});

test('every block keyword declares its block, every alias names an existing keyword', () => {
  for (const b of allBlockDefs()) {
    const names = new Set((b.keywords as Keyword<unknown>[]).map((k) => k.name));
    for (const k of b.keywords as Keyword<unknown>[]) {
      if (k.aliasOf) assert.ok(names.has(k.aliasOf), `${b.name}/${k.name} is an alias of unknown ${k.aliasOf}`);
      if (k.support && k.support !== 'yes') assert.ok(['not-yet', 'never'].includes(k.support));
    }
  }
});

test('docs/keywords.md is generated from the current table (npm run docs)', () => {
  const file = join(ROOT, 'docs', 'keywords.md');
  assert.ok(existsSync(file), 'docs/keywords.md is missing: run npm run docs');
  assert.equal(readFileSync(file, 'utf8'), keywordReference(), 'docs/keywords.md is stale: run npm run docs');
});
