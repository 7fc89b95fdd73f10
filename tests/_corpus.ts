// The Tatoeba pairs the shipped model was trained on (../shared/data/spa-eng, or
// VAMOS_DATA), and its test split: tests that compare hosts and engines on real text.
import type { RecordedSplit } from "../src/checkpoint/run_record.ts";
import {
  groupBySource,
  orientPairs,
  parseTsv,
  readUtf8Text,
  splitBySource,
} from "../src/train/data.ts";
import type { Direction } from "../src/text/languages.ts";
import type { SentencePair } from "../src/train/train.ts";

const DATA = Deno.env.get("VAMOS_DATA") ??
  new URL("../../shared/data/spa-eng/spa-eng.tsv", import.meta.url).pathname;

/** Every pair of the corpus. */
export async function corpus(): Promise<SentencePair[]> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(DATA);
  } catch {
    throw new Error(`this test reads the Tatoeba pairs at ${DATA}; set VAMOS_DATA to their path`);
  }
  return parseTsv(readUtf8Text(bytes, DATA), DATA);
}

/**
 * The distinct sources of a model's test split (as its metadata records it): English
 * sentences for en-es, Spanish ones for es-en.
 */
export async function testSources(
  split: RecordedSplit,
  direction: Direction = "en-es",
): Promise<string[]> {
  const pairs = orientPairs(await corpus(), direction);
  return groupBySource(splitBySource(pairs, split).test).map((g) => g.source);
}
