/**
 * The models a command-line tool can be pointed at with `--model`: "default" (the
 * shipped translator), "statquest" (the textbook toy, where the tool can use it) or a
 * checkpoint file.
 * @module
 */
import { readFileForCli } from "./run.ts";
import { defaultModelBytes, loadDefaultModel } from "../../models/default.ts";
import { CheckpointError, loadModel } from "../checkpoint/checkpoint.ts";
import { statquestModel } from "../../models/statquest.ts";
import type { Transformer } from "../model/model.ts";

/** The checkpoint bytes `--model NAME` names: the shipped model's, or a file's. */
export async function modelBytesForCli(name: string): Promise<Uint8Array> {
  return name === "default" ? await defaultModelBytes() : await readFileForCli(name, "model file");
}

/** The model `--model NAME` names, ready: "statquest", "default" or a checkpoint file. */
export async function openModelForCli(name: string, threads?: number): Promise<Transformer> {
  if (name === "statquest") return statquestModel(threads);
  if (name === "default") return await loadDefaultModel({ threads });
  const bytes = await readFileForCli(name, "model file");
  try {
    return await loadModel(bytes, { threads });
  } catch (e) {
    // Name the file the user gave, not "the checkpoint".
    if (e instanceof CheckpointError) {
      throw new CheckpointError(
        e.message.replace(/^Cannot load the checkpoint/, `Cannot load ${name}`),
      );
    }
    throw e;
  }
}
