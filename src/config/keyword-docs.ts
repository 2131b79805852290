// The keyword reference (docs/keywords.md), generated from the keyword table so the docs say
// exactly what the code accepts. `npm run docs` writes it; a unit test keeps it current.
import { allBlockDefs } from './registry.js';
import type { Keyword } from './schema.js';

const SUPPORT_TEXT = { yes: 'yes', 'not-yet': 'accepted, not yet acted on', never: 'accepted, never acted on' } as const;

const cell = (s: string | undefined): string => (s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function keywordReference(): string {
  const out: string[] = [
    '# keepalived.conf keyword reference',
    '',
    'Generated from keel\'s keyword table (`src/config/blocks/`) by `npm run docs`; do not edit by hand.',
    '',
    'Support: **yes** — keel reads it into its typed configuration; **accepted, not yet acted on** —',
    'keel parses and validates it and `keel -t` says so, but nothing in keel uses it yet;',
    '**accepted, never acted on** — kept for compatibility, with the reason in the notes.',
    'Address, route and rule lines (inside `virtual_ipaddress`, `virtual_routes`, `static_rules`, ...)',
    'take `ip address` / `ip route` / `ip rule` options; see docs/config.md.',
    '',
  ];
  let total = 0;
  for (const b of allBlockDefs()) {
    const kws = b.keywords as Keyword<unknown>[];
    if (!kws.length) continue;
    out.push(`## ${b.name}`, '');
    if (b.doc) out.push(b.doc, '');
    out.push('| keyword | arguments | default | support | notes |', '|---|---|---|---|---|');
    for (const k of [...kws].sort((x, y) => x.name.localeCompare(y.name))) {
      total++;
      const notes: string[] = [];
      if (k.doc) notes.push(k.doc);
      if (k.aliasOf) notes.push(`old name of \`${k.aliasOf}\``);
      if (k.deprecated) notes.push(`deprecated: "${k.deprecated}"`);
      if (k.note) notes.push(k.note);
      if (k.block) notes.push(`opens a \`${k.block().name}\` block`);
      if (k.lines) notes.push('opens a block of lines');
      out.push(`| \`${cell(k.name)}\` | ${cell(k.args)} | ${cell(k.default)} | ${SUPPORT_TEXT[k.support ?? 'yes']} | ${cell(notes.join('; '))} |`);
    }
    out.push('');
  }
  out.push(`${total} keywords in ${allBlockDefs().length} blocks.`, '');
  return out.join('\n');
}

if (process.argv[1] && import.meta.url === new URL(process.argv[1], 'file://').href) {
  process.stdout.write(keywordReference());
}
