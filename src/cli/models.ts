/**
 * The models a command-line tool can be pointed at with `--model`: "default" (the
 * shipped English→Spanish translator), "es-en" (the shipped Spanish→English one), "statquest" (the StatQuest model, where the tool can use it) or a
 * checkpoint file. A file that cannot be loaded is reported by its name.
 * @module
 */
import { readFileForCli } from "./run.ts";
import { defaultModelBytes, loadDefaultModel } from "../../models/default.ts";
import { esEnModelBytes, loadEsEnModel } from "../../models/es_en.ts";
import { CheckpointError, loadCheckpoint } from "../checkpoint/checkpoint.ts";
import { recordedRun } from "../checkpoint/run_record.ts";
import type { Direction } from "../text/languages.ts";
import { parseSafetensors } from "../checkpoint/safetensors.ts";
import { statquestModel } from "../../models/statquest.ts";
import type { Transformer } from "../model/model.ts";
import { sha256Hex } from "../train/data.ts";
import { VamosError } from "../errors.ts";

// Runs fn; a checkpoint error names the file instead of "the checkpoint".
async function named<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof CheckpointError) {
      throw new CheckpointError(
        e.message.replace(/^Cannot load the checkpoint/, `Cannot load ${name}`),
      );
    }
    throw e;
  }
}

/**
 * The checkpoint bytes `--model NAME` names: the shipped model's, or a file's, whose
 * safetensors structure is checked here so that an error names the file.
 */
export async function modelBytesForCli(name: string, what = "model file"): Promise<Uint8Array> {
  if (name === "default") return await defaultModelBytes();
  if (name === "es-en") return await esEnModelBytes();
  const bytes = await readFileForCli(name, what);
  await named(name, () => parseSafetensors(bytes));
  return bytes;
}

/** The model `--model NAME` names, ready: "statquest", "default", "es-en" or a checkpoint file. */
export async function openModelForCli(name: string, threads?: number): Promise<Transformer> {
  return (await openModelAndDirectionForCli(name, threads)).model;
}

/**
 * The model `--model NAME` names and the direction it translates: the shipped models'
 * own, a checkpoint's from its run record ("en-es" when it has none).
 */
export async function openModelAndDirectionForCli(
  name: string,
  threads?: number,
): Promise<{ model: Transformer; direction: Direction }> {
  if (name === "statquest") return { model: statquestModel(threads), direction: "en-es" };
  if (name === "default") return { model: await loadDefaultModel({ threads }), direction: "en-es" };
  if (name === "es-en") return { model: await loadEsEnModel({ threads }), direction: "es-en" };
  const bytes = await modelBytesForCli(name);
  const { model, metadata } = await named(name, () => loadCheckpoint(bytes, { threads }));
  return { model: await model.ready(), direction: recordedRun(metadata).direction ?? "en-es" };
}

/**
 * Fails, in one line, when `data` is not the file the checkpoint's run recorded (by its
 * sha256); a checkpoint that records none accepts any.
 */
export async function checkTrainedOn(
  metadata: Record<string, string>,
  data: Uint8Array,
  dataName: string,
  modelName: string,
): Promise<void> {
  const sha = await sha256Hex(data);
  const trainedOn = recordedRun(metadata).data_sha256;
  if (trainedOn && trainedOn !== sha) {
    throw new VamosError(`${dataName} is not the file ${modelName} was trained on (sha256 ${sha})`);
  }
}
