// The StatQuest model trained from scratch, recording its losses: run by tests/node_test.ts in
// Deno (over mod.ts) and in Node.js and Bun (over the bundle), to compare the hosts.
// `vamos` is the package's namespace as the host imports it.
export function trainStatquest(vamos) {
  const statquest = vamos.createStatquestModel();
  const losses = [];
  vamos.train(statquest, [{ source: "let's go", target: "vamos" }, {
    source: "to go",
    target: "ir",
  }], {
    epochs: 100,
    schedule: "constant",
    lr: 0.1,
    smoothing: 0,
    seed: 0,
    onStep: (s) => void losses.push(s.loss),
  });
  const translations = [statquest.translate("let's go"), statquest.translate("to go")];
  statquest.close();
  return { losses, translations };
}
