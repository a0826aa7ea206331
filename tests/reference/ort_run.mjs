// Test/bench-only peer: an ONNX classifier graph (tests/reference/onnx_bert.py) run by ONNX Runtime
// (npm onnxruntime-node), CPU execution provider, all graph optimizations, sequential execution.
//
//   node ort_run.mjs --model M.onnx --threads N --inputs IDS.json [--optimized OUT.onnx]
//     IDS.json: {"input_ids": [[...], ...], "attention_mask": [[...]], "token_type_ids": [[...]]}
//     prints {"logits": [[...], ...]}
//   node ort_run.mjs --model M.onnx --threads N --batch B --seq-len T --seconds S [--vocab V]
//     B x T random ids in [1, V) (mask all ones, token type 0), two warm-up runs, then runs for S seconds;
//     prints {"tokens_per_s": ..., "runs": ..., "peak_rss_mb": ...}
// --optimized writes the graph after ONNX Runtime's optimizations (to see which fusions happened).
import { readFileSync } from "node:fs";
import ort from "onnxruntime-node";

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || i + 1 >= argv.length) {
      throw new Error(`ort_run: expected --option value pairs, got '${argv[i]}'`);
    }
    args[argv[i].slice(2)] = argv[i + 1];
  }
  return args;
}

function positiveInt(args, key, fallback) {
  const value = args[key] ?? fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`ort_run: --${key} must be a positive integer, got '${value}'`);
  return n;
}

function int64Tensor(rows, name) {
  if (!Array.isArray(rows) || rows.length === 0 || !rows.every((r) => Array.isArray(r) && r.length === rows[0].length)) {
    throw new Error(`ort_run: inputs field '${name}' must be a non-empty rectangular array of rows`);
  }
  const flat = BigInt64Array.from(rows.flat(), (v) => BigInt(v));
  return new ort.Tensor("int64", flat, [rows.length, rows[0].length]);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!args.model) throw new Error("ort_run: --model is required");
  const options = {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    intraOpNumThreads: positiveInt(args, "threads", 1),
    interOpNumThreads: 1,
  };
  if (args.optimized) options.optimizedModelFilePath = args.optimized;
  const session = await ort.InferenceSession.create(args.model, options);

  if (args.inputs) {
    const inputs = JSON.parse(readFileSync(args.inputs, "utf8"));
    const feeds = {};
    for (const name of ["input_ids", "attention_mask", "token_type_ids"]) feeds[name] = int64Tensor(inputs[name], name);
    const { logits } = await session.run(feeds);
    const [rows, cols] = logits.dims;
    const out = [];
    for (let r = 0; r < rows; r++) out.push(Array.from(logits.data.subarray(r * cols, (r + 1) * cols)));
    console.log(JSON.stringify({ logits: out }));
    return;
  }

  const batch = positiveInt(args, "batch");
  const seqLen = positiveInt(args, "seq-len");
  const vocab = positiveInt(args, "vocab", 30522);
  const seconds = Number(args.seconds ?? 4);
  const size = batch * seqLen;
  const ids = new BigInt64Array(size);
  let state = 12345;  // xorshift32 from a fixed seed: the same ids every run
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    ids[i] = BigInt(1 + (state % (vocab - 1)));
  }
  const feeds = {
    input_ids: new ort.Tensor("int64", ids, [batch, seqLen]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(size).fill(1n), [batch, seqLen]),
    token_type_ids: new ort.Tensor("int64", new BigInt64Array(size), [batch, seqLen]),
  };
  for (let i = 0; i < 2; i++) await session.run(feeds);
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    await session.run(feeds);
    runs++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < seconds);
  console.log(JSON.stringify({ tokens_per_s: (runs * size) / elapsed, runs,
                               peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
}

main().catch((err) => {
  console.error(err.message ?? String(err));
  process.exit(1);
});
