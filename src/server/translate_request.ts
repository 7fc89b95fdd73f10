/**
 * `POST /translate`'s fields, checked before any work into a {@linkcode TranslateRequest}:
 * the texts, the language pair (or detection), the format, the alternatives and the
 * character limit; then the texts grouped by the direction that translates them.
 * @module
 */
import { type Detection, detectLanguage } from "../text/detect.ts";
import type { Direction } from "../text/languages.ts";
import { notTextProblem } from "../text/hygiene.ts";
import type { LanguagePairs } from "./pairs.ts";
import { checkLimit, HttpError, texts } from "./http.ts";

/** A translate request whose fields are valid for the pairs served. */
export interface TranslateRequest {
  /** The texts. */
  q: string[];
  /** Whether q came as a list (the answer is then a list too). */
  many: boolean;
  /** The language asked for. */
  target: string;
  /** Each text's language when the client asked for detection. */
  detected?: Detection[];
  /** The indices of q each direction translates (texts already in `target` in none). */
  groups: Map<Direction, number[]>;
  /** How many alternative translations per text (0 to 10). */
  alternatives: number;
}

/** Checks `fields` against the pairs served and the character limit. */
export function parseTranslateRequest(
  fields: Record<string, unknown>,
  pairs: LanguagePairs,
  charLimit: number,
): TranslateRequest {
  const { q, many } = texts(fields);
  const source = fields.source ?? "auto";
  const target = fields.target;
  if (typeof source !== "string") {
    throw new HttpError(400, "Invalid request: source must be a string");
  }
  if (target === undefined) throw new HttpError(400, "Invalid request: missing target parameter");
  if (typeof target !== "string") {
    throw new HttpError(400, "Invalid request: target must be a string");
  }
  checkLanguages(pairs, source, target);
  const format = fields.format ?? "text";
  if (format !== "text") {
    throw new HttpError(
      400,
      `Invalid request: format ${JSON.stringify(format)} is not supported; use "text"`,
    );
  }
  const alternatives = fields.alternatives === undefined ? 0 : Number(fields.alternatives);
  if (!Number.isInteger(alternatives) || alternatives < 0 || alternatives > 10) {
    throw new HttpError(400, "Invalid request: alternatives must be an integer from 0 to 10");
  }
  checkLimit(q, charLimit);
  // Each text's language: given, or detected text by text (a list may mix both).
  const detected = source === "auto" ? q.map((t) => detectLanguage(t)[0]) : undefined;
  const sources = detected?.map((d) => d.language) ?? q.map(() => source);
  return {
    q,
    many,
    target,
    detected,
    groups: byDirection(pairs, q, sources, target),
    alternatives,
  };
}

function served(pairs: LanguagePairs): string {
  return pairs.directions.join(", ").replaceAll("-", " → ");
}

function checkLanguages(pairs: LanguagePairs, source: string, target: string): void {
  const languages = pairs.languages();
  if (source !== "auto" && !languages.some((l) => l.code === source && l.targets.length)) {
    throw new HttpError(
      400,
      `${source} is not supported as a source language (this server translates ${served(pairs)})`,
    );
  }
  if (!languages.some((l) => l.targets.includes(target))) {
    throw new HttpError(
      400,
      `${target} is not supported as a target language (this server translates ${served(pairs)})`,
    );
  }
  if (source === target) {
    throw new HttpError(400, `Invalid request: source and target are both ${target}`);
  }
}

// The texts of each direction; a text already in the target language is returned as it
// is, if it is text at all.
function byDirection(
  pairs: LanguagePairs,
  q: string[],
  sources: string[],
  target: string,
): Map<Direction, number[]> {
  const groups = new Map<Direction, number[]>();
  sources.forEach((s, i) => {
    if (s === target) {
      const problem = notTextProblem(q[i]);
      if (problem) throw new HttpError(400, `${problem}; not translated`);
      return;
    }
    const direction = pairs.find(s, target);
    if (!direction) {
      throw new HttpError(
        400,
        `${s} → ${target} is not supported (this server translates ${served(pairs)})`,
      );
    }
    groups.set(direction, [...groups.get(direction) ?? [], i]);
  });
  return groups;
}
