/**
 * Telling English from Spanish, for `translate.ts --from auto` and the server's
 * `source: "auto"` and `/detect`: each
 * language scores by its most frequent short words and its own letters and marks; the
 * confidence is the winner's share of the evidence. Two languages are all this server
 * translates, so this is all it needs to tell apart.
 * @module
 */

const WORDS: Record<string, Set<string>> = {
  en: new Set(
    ("the a an and of to in is are was were be been it this that these those i you he she we " +
      "they my your his her our their me him us them not do does did have has had will would " +
      "can could what where when who why how there here with for on at from by as or but if " +
      "so very all about just don't i'm it's let's go")
      .split(" "),
  ),
  es: new Set(
    ("el la los las un una unos unas y de del al en es son era fue ser estar está están que " +
      "qué no sí yo tú él ella nosotros ellos mi tu su nuestro me te se lo le les por para con " +
      "sin como cómo dónde cuándo quién por qué muy todo más pero si ya hay tengo tiene vamos " +
      "este esta eso esto")
      .split(" "),
  ),
};

const LETTERS: Record<string, RegExp> = {
  es: /[ñáéíóúü¿¡]/giu,
  en: /\b(?:th|wh)\w*/giu,
};

/** A detected language and the confidence in it, 0–100. */
export interface Detection {
  /** "en" or "es". */
  language: string;
  /** How sure, in percent. */
  confidence: number;
}

/** The languages `text` may be in, most likely first (English when there is no evidence). */
export function detectLanguage(text: string): Detection[] {
  const words = text.toLowerCase().match(/[\p{L}']+/gu) ?? [];
  const score: Record<string, number> = { en: 0.01, es: 0 };
  for (const w of words) {
    for (const lang of ["en", "es"]) if (WORDS[lang].has(w)) score[lang] += 1;
  }
  for (const lang of ["en", "es"]) score[lang] += 0.5 * (text.match(LETTERS[lang])?.length ?? 0);
  const total = score.en + score.es;
  return (["en", "es"] as const)
    .map((language) => ({ language, confidence: Math.round((100 * score[language]) / total) }))
    .sort((a, b) => b.confidence - a.confidence);
}
