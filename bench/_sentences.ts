// Test-like English sentences of the benchmarks that translate with the shipped model.

/** Eight everyday sentences, short and long, as the Tatoeba test split has them. */
export const SENTENCES = [
  "I am hungry.",
  "Where is the bathroom?",
  "Tom is proud of his son.",
  "Do you want me to take you home?",
  "She said that she was happy.",
  "Tokyo is a big city.",
  "He did it for the good of the community.",
  "I hate to interrupt you, but I need to say something.",
];
