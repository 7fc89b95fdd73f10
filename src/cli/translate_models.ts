/**
 * The models translate.ts opens: each when a line first needs it (--from auto may need
 * one or both), with the beam, the shortlist and the reranking channel the flags ask
 * for, and the lines grouped by the model that translates them.
 * @module
 */
import { openModelForCli } from "./models.ts";
import { UsageError } from "./run.ts";
import type { TranslateFlags } from "./translate_flags.ts";
import { DEFAULT_CHANNEL_MARGIN, DEFAULT_CHANNEL_WEIGHT } from "../model/rerank.ts";
import type { Transformer } from "../model/model.ts";
import type { RerankOptions } from "../model/rerank.ts";

/** A group of lines and the model that translates them (null: printed as they are). */
export interface ModelGroup {
  model: Transformer | null;
  name: string | null;
  /** Indices of the lines. */
  at: number[];
}

/** The models of one translate.ts run. */
export class CliModels {
  readonly #models = new Map<string, Transformer>();

  constructor(readonly flags: TranslateFlags) {}

  /** The model `name`, opened on first use. */
  async open(name: string): Promise<Transformer> {
    let m = this.#models.get(name);
    if (!m) {
      this.#models.set(name, m = await openModelForCli(name, this.flags.threads));
      m.useShortlist = this.flags.shortlist;
    }
    return m;
  }

  /** Opens what the flags name up front, so that a bad model file fails before any input. */
  async openNamed(): Promise<void> {
    const first = this.flags.chooser("");
    if (first !== null && !this.flags.detect) await this.open(first);
    if (this.flags.rerank !== undefined) await this.open(this.flags.rerank);
  }

  /** The beam of model m: --beam or the model's own, at least --nbest. */
  beamOf(m: Transformer): number {
    return Math.max(this.flags.beam ?? m.beam, this.flags.nbest ?? 1);
  }

  /**
   * The reranking of model `name`: the shipped en→es model is reranked by the shipped
   * es→en one unless told otherwise; --rerank names another channel.
   */
  async rerankFor(name: string, m: Transformer): Promise<RerankOptions | undefined> {
    const f = this.flags;
    const channel = f.noRerank ? undefined : f.rerank ?? (name === "default" ? "es-en" : undefined);
    if (channel === undefined || this.beamOf(m) < 2) return undefined;
    const reverse = await this.open(channel);
    if (reverse.sourceLanguage === m.sourceLanguage) {
      throw new UsageError(
        `--rerank ${channel} translates from ${reverse.sourceLanguage}, as the model it would ` +
          "rerank does: give a model of the other direction",
      );
    }
    return { channel: reverse, weight: DEFAULT_CHANNEL_WEIGHT, margin: DEFAULT_CHANNEL_MARGIN };
  }

  /** The lines grouped by the model that translates them, in order of first appearance. */
  async byModel(lines: readonly { text: string }[]): Promise<ModelGroup[]> {
    const groups = new Map<string | null, number[]>();
    lines.forEach((l, i) => {
      const name = this.flags.chooser(l.text);
      groups.set(name, [...groups.get(name) ?? [], i]);
    });
    const out: ModelGroup[] = [];
    for (const [name, at] of groups) {
      out.push({ model: name === null ? null : await this.open(name), name, at });
    }
    return out;
  }

  /** Closes every model opened. */
  close(): void {
    for (const m of this.#models.values()) m.close();
  }
}
