// The textbook toy trained from scratch, recording its losses: run by tests/node_test.ts in
// Deno (over mod.ts) and in Node.js and Bun (over the bundle), to compare the hosts.
// `vamos` is the package's namespace as the host imports it.
export function trainToy(vamos) {
  const toy = vamos.createStatquestModel();
  const losses = [];
  vamos.train(toy, [{ source: "let's go", target: "vamos" }, { source: "to go", target: "ir" }], {
    epochs: 100,
    schedule: "constant",
    lr: 0.1,
    smoothing: 0,
    seed: 0,
    onStep: (s) => void losses.push(s.loss),
  });
  const translations = [toy.translate("let's go"), toy.translate("to go")];
  toy.close();
  return { losses, translations };
}
