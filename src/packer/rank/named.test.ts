import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findMentions } from './named.js';

test('takes no plain lower-case words of a quoted code example as symbols: they are placeholders', () => {
  const mentions = findMentions('When compiling `obj.method(...items, extra)` or `new Parser(...args)`, is `scope.rename(oldName)` or `Scope.rename` used?');
  assert.deepEqual(mentions.symbols, ['Parser', 'oldName', 'Scope', 'rename']);
});

test('still takes a quoted name, a quoted call and a call in the prose as symbols', () => {
  assert.deepEqual(findMentions('Why does `atomic` call `savepoint()` and parseExpression(x)?').symbols, ['atomic', 'savepoint', 'parseExpression']);
});
