// tokenizers.js side of bench/tokenizer_bench.sh: times Tokenizer.encode alone over the texts of a
// JSON Lines file (parsed up front), single-threaded: one warm-up pass for the JIT, then the best
// of 3 passes. Prints one JSON line like `bertft tokenize --bench`.
//   node bench/tokenizer_bench.mjs MODEL_DIR TEXTS.jsonl
import { existsSync, readFileSync } from "node:fs";
import { Tokenizer } from "../tests/reference/node_modules/@huggingface/tokenizers/dist/tokenizers.mjs";

const [dir, file] = process.argv.slice(2);
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const configPath = `${dir}/tokenizer_config.json`;
const tokenizer = new Tokenizer(readJson(`${dir}/tokenizer.json`), existsSync(configPath) ? readJson(configPath) : {});
const texts = readFileSync(file, "utf8").split("\n").filter((line) => line !== "").map((line) => JSON.parse(line).text);
const bytes = texts.reduce((n, text) => n + Buffer.byteLength(text, "utf8"), 0);

const pass = () => {
  let tokens = 0;
  const start = process.hrtime.bigint();
  for (const text of texts) tokens += tokenizer.encode(text).ids.length;
  return [Number(process.hrtime.bigint() - start) / 1e9, tokens];
};
pass();
let best = Infinity;
let tokens = 0;
for (let i = 0; i < 3; i++) {
  const [seconds, n] = pass();
  best = Math.min(best, seconds);
  tokens = n;
}
console.log(JSON.stringify({ mode: "tokenizers.js encode", texts: texts.length, bytes, tokens, seconds: best, mb_per_s: bytes / best / 1e6 }));
