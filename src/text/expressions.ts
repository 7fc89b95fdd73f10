/**
 * English expressions whose Spanish is a rule, not a guess: times with their preposition
 * ("at 3 p.m." → "a las 3 p. m."), titles with a name ("Dr. Martínez" → "el Dr. Martínez"),
 * amounts of money ("20 euros", "$5" → "5 dólares"), dates ("May 3" → "3 de mayo"), months
 * and "e.g.". The corpus has few of them, and the model, reading "p.m." or "Dr." as
 * subwords, drops or garbles them; masked as spans whose Spanish is known, they come out
 * as Spanish writes them (RAE: "p. m.", "a las", "el 3 de mayo").
 * @module
 */

/** A stretch of the source and the Spanish that replaces it. */
export interface Rendering {
  /** Where it starts and ends in the text (UTF-16 offsets, end exclusive). */
  start: number;
  end: number;
  /** Its Spanish. */
  spanish: string;
}

const MONTHS: Record<string, string> = {
  january: "enero",
  february: "febrero",
  march: "marzo",
  april: "abril",
  may: "mayo",
  june: "junio",
  july: "julio",
  august: "agosto",
  september: "septiembre",
  october: "octubre",
  november: "noviembre",
  december: "diciembre",
};
const MONTH = String
  .raw`(?:January|February|March|April|May|June|July|August|September|October|November|December)`;

// Prepositions before a time, and the Spanish before "las".
const TIME_PREPOSITIONS: Record<string, string> = {
  at: "a",
  by: "para",
  until: "hasta",
  till: "hasta",
  to: "a",
  from: "desde",
  since: "desde",
  before: "antes de",
  after: "después de",
  around: "sobre",
  about: "sobre",
};
// Either case for the first letter: "At 10:30 we leave."
const anyCase = (words: string[]) =>
  words.map((w) => `[${w[0].toUpperCase()}${w[0]}]${w.slice(1)}`).join("|");
const PREP = String.raw`(?:(${anyCase(Object.keys(TIME_PREPOSITIONS))})\s+)`;
const HOUR = String.raw`(1[0-2]|0?[1-9]|1[3-9]|2[0-3]|0)`;
const MERIDIEM = String
  .raw`(a\.\s?m\.|p\.\s?m\.|a\.m|p\.m|am|pm|AM|PM|A\.M\.|P\.M\.|o'clock|o’clock)`;
// "at 3 p.m.", "at 10:30", "until 9", "7:45 am": a time with a preposition, or one the
// clock or a.m./p.m. makes certain. A bare number is a time only after "at" and before
// the end of the clause ("at 9." / "at 9 every day"), not "at 9 euros".
const TIME = new RegExp(
  String
    .raw`(?<![\p{L}\p{N}:.,])${PREP}?${HOUR}(?::([0-5]\d))?(?:\s?${MERIDIEM}(?![\p{L}]))?(?![\p{N}:°%]|[.,]\p{N})`,
  "gu",
);
const BARE_TIME_FOLLOWER =
  /^\s*(?:$|[.,;!?)]|(?:today|tonight|tomorrow|every|on|in|this|sharp|sometime)\b)/u;

const TITLES: Record<string, [string, string]> = {
  dr: ["Dr.", "el"],
  mr: ["Sr.", "el"],
  mrs: ["Sra.", "la"],
  ms: ["Sra.", "la"],
  miss: ["Srta.", "la"],
  prof: ["Prof.", "el"],
};
const NAME = String.raw`\p{Lu}[\p{L}\p{M}'’-]*`;
const TITLE = new RegExp(
  String
    .raw`(?<![\p{L}])(?:(with|to|for|of|from|by|and)\s+)?(Dr|Mr|Mrs|Ms|Miss|Prof)(?:\.|(?=\s))\s+(${NAME}(?:\s+${NAME})?)`,
  "gu",
);
const COUPLE = new RegExp(String.raw`(?<![\p{L}])Mr\.?\s+and\s+Mrs\.?\s+(${NAME})`, "gu");
// A preposition and the article after it: "con el", "al", "del".
const WITH_ARTICLE: Record<string, (article: string) => string> = {
  with: (a) => `con ${a}`,
  to: (a) => a === "el" ? "al" : `a ${a}`,
  for: (a) => `para ${a}`,
  of: (a) => a === "el" ? "del" : `de ${a}`,
  from: (a) => a === "el" ? "del" : `de ${a}`,
  by: (a) => `por ${a}`,
  and: (a) => `y ${a}`,
};

const UNITS: Record<string, [string, string]> = {
  euro: ["euro", "euros"],
  dollar: ["dólar", "dólares"],
  pound: ["libra", "libras"],
  cent: ["céntimo", "céntimos"],
  peso: ["peso", "pesos"],
};
const AMOUNT = new RegExp(
  String
    .raw`(?<![\p{L}\p{N}.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s+(euros?|dollars?|pounds?|cents?|pesos?)\b`,
  "gu",
);
const SYMBOL_AMOUNT = new RegExp(
  String.raw`([$€£])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\p{N}])`,
  "gu",
);
const DATE = new RegExp(
  String
    .raw`(?<![\p{L}])(?:(on|by|until|since|from)\s+)?(${MONTH})\s+([12]?\d|3[01])(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?(?![\p{L}\p{N}])`,
  "gu",
);
const MONTH_ALONE = new RegExp(
  String.raw`(?<![\p{L}])(?:(${anyCase(["in", "since", "until"])})\s+)?(${MONTH})(?![\p{L}])`,
  "gu",
);
const EG = /(?<![\p{L}])(e\.g\.|i\.e\.)(?=\s|$)/gu;

const DATE_PREPOSITIONS: Record<string, string> = {
  on: "el",
  by: "para el",
  until: "hasta el",
  since: "desde el",
  from: "desde el",
};
const MONTH_PREPOSITIONS: Record<string, string> = { in: "en", since: "desde", until: "hasta" };

function timeSpanish(prep: string | undefined, hour: number, minutes?: string, mer?: string) {
  const m = mer?.toLowerCase().replace(/[\s.]/g, "");
  const suffix = m === "am" ? " a. m." : m === "pm" ? " p. m." : "";
  const clock = `${hour}${minutes ? `:${minutes}` : ""}${suffix}`;
  const article = hour === 1 ? "la" : "las";
  return prep ? `${TIME_PREPOSITIONS[prep.toLowerCase()]} ${article} ${clock}` : clock;
}

/**
 * The expressions of an English text that have a fixed Spanish, in order, not
 * overlapping (the first found wins: dates, then times, titles, amounts).
 *
 * @example
 * ```ts
 * import { englishExpressions } from "./expressions.ts";
 * englishExpressions("The meeting is at 3 p.m.").map((r) => r.spanish); // ["a las 3 p. m."]
 * ```
 */
export function englishExpressions(text: string): Rendering[] {
  const found: Rendering[] = [];
  const add = (start: number, end: number, spanish: string) => {
    if (found.some((r) => start < r.end && r.start < end)) return;
    found.push({ start, end, spanish });
  };
  for (const m of text.matchAll(DATE)) {
    const [, prep, month, day, year] = m;
    const date = `${Number(day)} de ${MONTHS[month.toLowerCase()]}${year ? ` de ${year}` : ""}`;
    add(
      m.index!,
      m.index! + m[0].length,
      prep ? `${DATE_PREPOSITIONS[prep.toLowerCase()]} ${date}` : date,
    );
  }
  for (const m of text.matchAll(TIME)) {
    const [all, prep, hourText, minutes, mer] = m;
    const hour = Number(hourText);
    const sure = minutes !== undefined || (mer !== undefined && hour <= 12);
    const bareAt = prep?.toLowerCase() === "at" && hour >= 1 && hour <= 12 &&
      BARE_TIME_FOLLOWER.test(text.slice(m.index! + all.length));
    if (!sure && !bareAt) continue;
    add(m.index!, m.index! + all.length, timeSpanish(prep, hour, minutes, mer));
  }
  for (const m of text.matchAll(COUPLE)) {
    add(m.index!, m.index! + m[0].length, `el Sr. y la Sra. ${m[1]}`);
  }
  for (const m of text.matchAll(TITLE)) {
    const [, prep, title, name] = m;
    if (prep && /^\p{Lu}/u.test(prep)) continue; // "With Dr. X, …": the model places it
    const [es, article] = TITLES[title.toLowerCase()];
    const before = text.slice(0, m.index!).trimEnd();
    // Spoken to ("Thank you, Dr. López") or named after a greeting: no article.
    const vocative = !prep && (/[,:]$/.test(before) || /\b(?:hi|hello|dear|thanks)$/i.test(before));
    const lead = prep
      ? `${WITH_ARTICLE[prep.toLowerCase()](article)} `
      : vocative
      ? ""
      : `${article} `;
    add(m.index!, m.index! + m[0].length, `${lead}${es} ${name}`);
  }
  for (const m of text.matchAll(AMOUNT)) {
    const [, whole, decimals, unit] = m;
    const [one, many] = UNITS[unit.toLowerCase().replace(/s$/, "")];
    const amount = `${whole}${decimals ?? ""}`;
    add(m.index!, m.index! + m[0].length, `${amount} ${amount === "1" ? one : many}`);
  }
  for (const m of text.matchAll(SYMBOL_AMOUNT)) {
    const [, symbol, whole, decimals] = m;
    const unit = { $: UNITS.dollar, "€": UNITS.euro, "£": UNITS.pound }[symbol]!;
    const amount = `${whole}${decimals ?? ""}`;
    add(m.index!, m.index! + m[0].length, `${amount} ${amount === "1" ? unit[0] : unit[1]}`);
  }
  for (const m of text.matchAll(MONTH_ALONE)) {
    const [, prep, month] = m;
    // "May" alone is the verb as often as the month: only with a preposition.
    if (month === "May" && !prep) continue;
    const es = MONTHS[month.toLowerCase()];
    add(
      m.index!,
      m.index! + m[0].length,
      prep ? `${MONTH_PREPOSITIONS[prep.toLowerCase()]} ${es}` : es,
    );
  }
  for (const m of text.matchAll(EG)) {
    add(m.index!, m.index! + m[0].length, m[1] === "e.g." ? "p. ej." : "es decir,");
  }
  return found.sort((a, b) => a.start - b.start);
}
