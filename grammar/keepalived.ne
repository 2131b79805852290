# keepalived.conf block structure.
#
# The preprocessor (src/config/preprocess.ts) has already removed comments, applied
# conditionals, definitions, ~SEQ/~LST and includes. The lexer (src/config/lexer.ts) splits
# each logical line at every '{' and '}' outside double quotes, as keepalived's read_line()
# does, so a statement is the run of words between two braces or line ends. A '{' belongs
# to the statement just before it, whether on the same line or a later one.
@preprocessor typescript

@{%
import type { Stmt, LineToken, BraceToken } from './tree.js';
import { lexer } from './lexer.js';

interface Cons { item: Stmt; rest: Cons | null }

const flatten = (list: Cons | null): Stmt[] => {
  const out: Stmt[] = [];
  for (let c = list; c; c = c.rest) out.push(c.item);
  return out.reverse();
};

const stmt = (line: LineToken, block?: [BraceToken, Stmt[], BraceToken]): Stmt => {
  const s: Stmt = { words: line.words, pos: line.pos, raw: line.raw };
  if (block) {
    s.block = block[1];
    s.open = block[0].pos;
    s.close = block[2].pos;
  }
  return s;
};
%}

@lexer lexer

config   -> items                      {% ([items]) => flatten(items) %}

# Items are built as an immutable cons list (Earley states share partial results, so they must
# not be mutated) and flattened once per block.
items    -> null                       {% () => null %}
          | items item                 {% ([rest, item]) => ({ item, rest }) %}

item     -> %line                      {% ([l]) => stmt(l) %}
          | %line block                {% ([l, b]) => stmt(l, b) %}

block    -> %lbrace items %rbrace      {% ([l, items, r]) => [l, flatten(items), r] %}
