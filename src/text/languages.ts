/**
 * The languages a model translates between, and the directions a run can train, named
 * as LibreTranslate names them (ISO 639-1 codes, source then target).
 * @module
 */

/** A translation direction: "en-es" (English→Spanish, the data's column order) or "es-en". */
export type Direction = "en-es" | "es-en";

/** The directions, the data's column order first. */
export const DIRECTIONS: readonly Direction[] = ["en-es", "es-en"];

/** The source and target language codes of a direction. */
export function languagesOf(direction: Direction): { source: string; target: string } {
  const [source, target] = direction.split("-");
  return { source, target };
}
