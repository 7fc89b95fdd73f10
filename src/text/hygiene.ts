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
