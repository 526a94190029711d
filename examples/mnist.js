// MNIST, the seed's model: 784 → 392 ReLU → 10 with 4-bit weights and activations, trained with
// quantization-aware training on 8,000 digits (and their one-pixel shifts). Each hidden neuron is
// one programmable bootstrap; the bootstraps of an image are spread over worker threads.
//   node examples/mnist.js [images=3] [workers=2]
import { loadMnist, trainMnistMlp } from "../bench/lib/datasets.js";

const images = Number(process.argv[2] ?? 3);
const workers = Number(process.argv[3] ?? 2);
const { train, test } = loadMnist({ train: 8000, test: 2000 });
console.log("training (QAT, about two minutes)…");
const model = (await trainMnistMlp(train)).compile(train.X);
const { report } = model.circuit;
console.log(`compiled: parameter set ${report.parameterSet}, ${report.bootstraps} bootstraps per image`);

const rows = { rows: images, cols: 784, data: test.X.data.slice(0, images * 784) };
await model.predict({ rows: 1, cols: 784, data: rows.data.slice(0, 784) }, { fhe: "execute", workers }); // keys + workers
const t0 = performance.now();
const fhe = await model.predict(rows, { fhe: "execute", workers });
const seconds = (performance.now() - t0) / 1000 / images;
console.log(`encrypted predictions ${fhe.join(" ")} (truth ${Array.from(test.y.slice(0, images)).join(" ")}), ${seconds.toFixed(2)} s per image on ${workers} workers`);
model.free();
