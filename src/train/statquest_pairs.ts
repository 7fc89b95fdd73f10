/**
 * The StatQuest model's data (StatQuest's "Transformer Neural Networks, ChatGPT's
 * foundation, Clearly Explained!!!"): two English phrases, two Spanish words. The model
 * itself is `models/statquest.ts`; the data is here, below it, because training a real
 * model can add these pairs too (`train.ts --statquest-pairs`).
 * @module
 */

/** The StatQuest model's English vocabulary, in the textbook's order. */
export const STATQUEST_ENGLISH: readonly string[] = ["let's", "to", "go", "<EOS>"];
/** The StatQuest model's Spanish vocabulary, in the textbook's order. */
export const STATQUEST_SPANISH: readonly string[] = ["ir", "vamos", "y", "<EOS>"];
/** The StatQuest model's training data. */
export const STATQUEST_PAIRS: readonly { source: string; target: string }[] = [
  { source: "let's go", target: "vamos" },
  { source: "to go", target: "ir" },
];
