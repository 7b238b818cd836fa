import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fitToBudget, type FitInput } from './fit.js';

/** Scores follow the ranking unless given: the best-ranked file scores `files.length`, the last 1. */
function input(overrides: Partial<FitInput> & Pick<FitInput, 'files' | 'budget'>): FitInput {
  const ranked = overrides.ranked ?? overrides.files.map((_, i) => i);
  const score: number[] = [];
  ranked.forEach((i, k) => (score[i] = ranked.length - k));
  return {
    fixed: 10, mapFrame: 4, ranked, score, named: new Set(),
    signatures: (i) => Math.ceil(overrides.files[i]!.full / 4), ...overrides,
  };
}

test('everything fits: all full, no map', () => {
  const r = fitToBudget(input({ budget: 1000, files: [{ full: 100, mapLine: 3 }, { full: 200, mapLine: 3 }] }));
  assert.deepEqual(r.level, ['full', 'full']);
  assert.equal(r.total, 10 + 300);
});

test('the best-ranked files come in full, the next as signatures, the rest are listed', () => {
  const files = Array.from({ length: 6 }, () => ({ full: 400, mapLine: 5 }));
  // 14 fixed and map frame + 30 of map lines; one whole file fits nine tenths of 700; two more as signatures (100 each).
  const r = fitToBudget(input({ budget: 700, files, ranked: [5, 4, 3, 2, 1, 0] }));
  assert.deepEqual(r.level, ['omitted', 'omitted', 'omitted', 'signatures', 'signatures', 'full']);
  assert.equal(r.total, 10 + 4 + 3 * 5 + 100 + 100 + 400);
  assert.match(r.reason(5), /^rank 1 of 6: fits in full/);
  assert.match(r.reason(4), /^rank 2 of 6: 400 tokens in full did not fit; signatures 100/);
  assert.match(r.reason(0), /^rank 6 of 6: 400 tokens in full, 100 as signatures, did not fit/);
  // With more room, more files show at all before more files show whole.
  const wider = fitToBudget(input({ budget: 1050, files, ranked: [5, 4, 3, 2, 1, 0] }));
  assert.deepEqual(wider.level, ['signatures', 'signatures', 'signatures', 'signatures', 'signatures', 'full']);
});

test('a named file comes in full before better-ranked ones', () => {
  const files = [{ full: 500, mapLine: 5 }, { full: 500, mapLine: 5 }];
  const r = fitToBudget(input({ budget: 600, files, named: new Set([1]) }));
  assert.equal(r.level[1], 'full');
  assert.match(r.reason(1), /named in the question/);
});

test('a budget below the map alone names the minimum', () => {
  const files = Array.from({ length: 100 }, () => ({ full: 50, mapLine: 6 }));
  assert.throws(() => fitToBudget(input({ budget: 100, files })), /below the smallest prompt for this repository, 614 tokens .* raise --budget to at least 614/);
});

test('the bound always holds and the budget is used well', () => {
  fc.assert(fc.property(
    fc.array(fc.record({ full: fc.integer({ min: 20, max: 5000 }), mapLine: fc.integer({ min: 2, max: 9 }) }), { minLength: 1, maxLength: 300 }),
    fc.integer({ min: 0, max: 1_000_000 }),
    (files, extra) => {
      const minimum = 10 + 4 + files.reduce((s, f) => s + f.mapLine, 0);
      const budget = minimum + (extra % (files.reduce((s, f) => s + f.full, 0) + 1));
      const r = fitToBudget(input({ budget, files }));
      // recompute the total from the levels
      const sig = (i: number) => Math.ceil(files[i]!.full / 4);
      const omitted = r.level.filter((l) => l === 'omitted').length;
      const total = 10 + (omitted > 0 ? 4 : 0) + r.level.reduce((s, l, i) => s + (l === 'full' ? files[i]!.full : l === 'signatures' ? sig(i) : files[i]!.mapLine), 0);
      assert.equal(r.total, total);
      assert.ok(total <= budget);
    },
  ), { numRuns: 300 });
});

test('the first pass weighs relevance against size: several smaller good matches before one large slightly better one', () => {
  // File 0 is ranked first and takes most of the budget; files 1–6 score a little less and are an eighth of its size.
  const files = [{ full: 500, mapLine: 3 }, ...Array.from({ length: 6 }, () => ({ full: 60, mapLine: 3 }))];
  const close = fitToBudget(input({ budget: 720, files, score: [1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9], signatures: () => undefined }));
  assert.deepEqual(close.level, ['omitted', 'full', 'full', 'full', 'full', 'full', 'full']);
  assert.match(close.reason(1), /^rank 2 of 7: fits in full$/);
  // A clearly better large match still comes first, and the room left takes what it can.
  const clear = fitToBudget(input({ budget: 720, files, score: [1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], signatures: () => undefined }));
  assert.deepEqual(clear.level, ['full', 'full', 'full', 'full', 'omitted', 'omitted', 'omitted']);
});
