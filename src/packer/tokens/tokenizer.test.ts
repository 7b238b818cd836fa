import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { countTokens as cl100kCount } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as o200kCount } from 'gpt-tokenizer/encoding/o200k_base';
import { loadTokenCounter } from './tokenizer.js';

// The library's own whole-text count, with special-token text treated as text (as ours does).
const reference: Record<string, (text: string) => number> = {
  cl100k: (text) => cl100kCount(text, { disallowedSpecial: new Set() }),
  o200k: (text) => o200kCount(text, { disallowedSpecial: new Set() }),
};

const tricky = [
  '', '\n', '\n\n\n', 'a', 'a\n', '  \n', ' \n \n', '\t\n  x\n', '}\n\n\n  return 1;\n', '12\n', '123  foo\n', '1234 5\n',
  '7\n8\n9  x\n', '  123 abc\n', "don't\nit's\n", 'x  \n  \n\ny', '1\n\n  \n2', '٣ digits\n', '<file path="a">\n1  x\n</file>\n',
  'naïve café\n東京\n🎉🎉\n', '   ', 'end with spaces   ', '99999999999  long\n',
];

for (const name of ['cl100k', 'o200k']) {
  test(`${name}: our count equals gpt-tokenizer's count of the whole text`, () => {
    const counter = loadTokenCounter(name);
    const whole = reference[name]!;
    for (const text of tricky) assert.equal(counter.count(text), whole(text), JSON.stringify(text));
    fc.assert(fc.property(
      fc.array(fc.oneof(fc.constantFrom('\n', ' ', '  ', '\t', '1', '23', '456', '}', '//', "'s", "'LL", 'x', 'ab', 'Ab', 'XML', 'é', 'É', '東', '\u0301'), fc.string()), { maxLength: 40 }),
      (parts) => {
        const text = parts.join('');
        assert.equal(counter.count(text), whole(text), JSON.stringify(text));
      },
    ), { numRuns: 1000 });
  });
}
