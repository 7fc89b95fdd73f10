// Sentences with spans a translation must carry through unchanged, written for this
// project: everyday English frames, each filled with URLs, e-mail addresses, numbers,
// emoji, code and names. `deno task bench:verbatim` counts the sentences whose spans all
// come back exactly.

/** One sentence and the spans its translation must contain verbatim. */
export interface VerbatimCase {
  text: string;
  spans: string[];
}

const FRAMES: [string, string[]][] = [
  ["Visit {} for more information.", [
    "https://example.com",
    "www.vamos.dev",
    "https://tatoeba.org/en/sentences/show/1",
  ]],
  ["The link is {}.", [
    "https://deno.land/manual",
    "http://localhost:8000/",
    "https://es.wikipedia.org/wiki/Madrid",
  ]],
  ["Please read {} before the meeting.", [
    "https://example.org/notes.html",
    "www.example.net/agenda",
    "https://a.io/x?id=42",
  ]],
  ["Write to me at {}.", ["ana.garcia@example.com", "tom@example.org", "info@vamos.dev"]],
  ["My e-mail address is {}.", [
    "maria.lopez@mail.example.es",
    "j.smith+news@example.co.uk",
    "help@example.com",
  ]],
  ["Send the report to {} tomorrow.", [
    "boss@example.com",
    "team-lead@example.io",
    "reports@example.net",
  ]],
  ["My phone number is {}.", ["555-1234", "+34 612 345 678", "(212) 555-0199"]],
  ["Call me at {}.", ["555-0100", "+1 202 555 0143", "0800 123 456"]],
  ["The train leaves at {}.", ["10:30", "7:45", "23:15"]],
  ["I was born in {}.", ["1987", "2001", "1964"]],
  ["It costs {} euros.", ["25", "3,50", "1.200"]],
  ["There are {} people here.", ["12", "150", "3"]],
  ["Open page {} of the book.", ["42", "117", "8"]],
  ["The code is {}.", ["4921", "A-113", "70-41-22"]],
  ["Room {} is on the left.", ["204", "12B", "3.14"]],
  ["Happy birthday! {}", ["🎉", "🎂🎈", "🥳"]],
  ["I love pizza {}", ["🍕", "😍", "❤️"]],
  ["Good morning {}", ["☀️", "😊", "🌞"]],
  ["See you soon {}", ["👋", "😉", "🙂"]],
  ["{}", ["🍕", "🎉", "https://example.com", "555-1234", "👍"]],
  ["Run {} to update it.", ["npm_update", "README.md", "config.json"]],
  ["Call the function {} first.", ["parseArgs()", "loadModel()", "fetchData()"]],
  ["The variable {} is empty.", ["user_name", "maxLength", "total_count"]],
  ["The file is in {}.", ["/usr/local/bin", "/home/ana/docs", "/tmp/vamos"]],
  ["Use the hashtag {}.", ["#vamos", "#madrid2024", "#tbt"]],
  ["{} lives in Madrid.", ["Carlos", "Anna", "Mateo"]],
  ["I met {} yesterday.", ["Barack Obama", "Lionel Messi", "Greta Thunberg"]],
  ["My friend {} is a doctor.", ["Ingrid", "Oksana", "Kenji"]],
  ["Have you seen {}?", ["Zuzana", "Priya", "Thandiwe"]],
  ["{} wrote this letter.", ["Svetlana", "Ngozi", "Bartholomew"]],
  ["Tell {} that I called.", ["Aurelio", "Wojciech", "Siobhan"]],
  ["We are going to {} next week.", ["Reykjavik", "Ouagadougou", "Llanfair"]],
  ["The meeting is on {} at {}.", ["12/05", "3:00"]],
  ["Order {} ships on {}.", ["#4417", "2024-06-01"]],
  ["Email {} or call {}.", ["sales@example.com", "555-2368"]],
  ["{} and {} are coming at {}.", ["Ingrid", "Kenji", "8:30"]],
  ["I paid {} dollars for {} tickets.", ["120", "4"]],
  ["Check {} and reply to {}.", ["https://example.com/form", "ana@example.com"]],
];

function fill(frame: string, values: string[]): string {
  let i = 0;
  return frame.replace(/\{\}/g, () => values[i++]);
}

/** Every sentence of the set: each frame with each of its values, plus rotations. */
export function verbatimCases(): VerbatimCase[] {
  const out: VerbatimCase[] = [];
  const seen = new Set<string>();
  const add = (text: string, spans: string[]) => {
    if (!seen.has(text)) {
      seen.add(text);
      out.push({ text, spans });
    }
  };
  const all = FRAMES.flatMap(([, v]) => v);
  FRAMES.forEach(([frame, values], f) => {
    const slots = (frame.match(/\{\}/g) ?? []).length;
    if (slots === 1) {
      for (const v of values) add(fill(frame, [v]), [v]);
      // The same frame with values of the other kinds: spans anywhere.
      for (let k = 0; k < 6; k++) {
        const v = all[(f * 7 + k * 13) % all.length];
        add(fill(frame, [v]), [v]);
      }
    } else {
      add(fill(frame, values), values);
      for (let k = 1; k < 6; k++) {
        const vs = values.map((_, j) => all[(f * 5 + k * 11 + j * 17) % all.length]);
        add(fill(frame, vs), vs);
      }
    }
  });
  return out;
}
