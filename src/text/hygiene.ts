/**
 * Text as a translator should see it: control characters removed (they are no words and
 * would read as the placeholders of `verbatim.ts`), and a run of one repeated character
 * ("!!!!!!!!", "Nooooooo") cut to three, digits excepted (numbers keep their zeros).
 * @module
 */

// C0 and C1 controls but tab, line feed and carriage return; and DEL.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/gu;
// A character (not a digit) repeated more than three times.
const RUNS = /(\P{Nd})\1{3,}/gu;

/**
 * `text` cleaned for translation.
 *
 * @example
 * ```ts ignore
 * cleanText("Hi!!!!!!!\u0007") // "Hi!!!"
 * ```
 */
export function cleanText(text: string): string {
  return text.replace(CONTROLS, "").replace(RUNS, "$1$1$1");
}

// Characters no text holds: controls (tab, line feed, carriage return excepted), the
// replacement character that bytes which are not UTF-8 decode to, unpaired surrogates,
// private-use and unassigned code points.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const NOT_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFD\p{Cs}\p{Co}\p{Cn}]/gu;

/**
 * Why a line is not text to translate (binary data, noise), or undefined when it is text:
 * a NUL byte, or more than one character in ten that no text holds. A stray control
 * character in a sentence is text (it is removed); a line of bytes with a letter in it
 * is not.
 *
 * @example
 * ```ts ignore
 * notTextProblem("\u0000\u0001S\u0002") // "is not text (binary data or noise)"
 * notTextProblem("Where is it?\u0007")   // undefined (one stray control in 13)
 * notTextProblem("Hi!\u0007")            // "is not text …" (one in four is noise)
 * ```
 */
export function notTextProblem(line: string): string | undefined {
  const chars = [...line.replace(/\s+/gu, "")].length;
  const bad = line.match(NOT_TEXT)?.length ?? 0;
  if (line.includes("\u0000") || (bad > 0 && bad * 10 > chars)) {
    return "is not text (binary data or noise)";
  }
  return undefined;
}
