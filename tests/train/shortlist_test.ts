// Learning a shortlist (IBM Model 1): each source token's likely targets, its own
// spelling, related spellings of its targets, the frequent and the always-needed tokens;
// and its options checked.
import { deepEqual, ok, throws } from "node:assert/strict";
import { learnShortlist } from "../../src/train/shortlist.ts";

// Source 1 always with target 4, source 2 with target 5; 0 is EOS on both sides.
const pairs = [
  { source: [1, 0], target: [4, 0] },
  { source: [2, 0], target: [5, 0] },
  { source: [1, 2, 0], target: [4, 5, 0] },
];

Deno.test("each source token keeps its translation, not the other's", () => {
  const s = learnShortlist(pairs, 3, 8, { frequent: 1, minProbability: 0.3 });
  const one = [...s.tokensFor([1, 0])], two = [...s.tokensFor([2, 0])];
  ok(one.includes(4) && !one.includes(5), JSON.stringify(one));
  ok(two.includes(5) && !two.includes(4), JSON.stringify(two));
});

Deno.test("same spelling, related tokens and always-needed ones join the list", () => {
  const s = learnShortlist(pairs, 3, 8, {
    frequent: 1,
    minProbability: 0.3,
    sameToken: (src) => (src === 1 ? 7 : -1),
    related: (t) => (t === 4 ? [6] : []),
    always: [3],
  });
  deepEqual([...s.tokensFor([1])].sort((a, b) => a - b), [0, 3, 4, 6, 7]);
});

Deno.test("options out of range and tokens outside the vocabulary are refused", () => {
  throws(() => learnShortlist(pairs, 3, 8, { perSource: -1 }), /perSource must be an integer/);
  throws(() => learnShortlist(pairs, 3, 8, { frequent: 0 }), /frequent must be a positive integer/);
  throws(() => learnShortlist([{ source: [9], target: [1] }], 3, 8), /Source token 9 is outside/);
  throws(() => learnShortlist([{ source: [1], target: [8] }], 3, 8), /Target token 8 is outside/);
});
