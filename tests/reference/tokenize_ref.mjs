// Reference tokenizer for the parity test: @huggingface/tokenizers (tokenizers.js) over JSON Lines.
//   node tokenize_ref.mjs MODEL_DIR < in.jsonl > out.jsonl
// in:  {"text": ..., "text_pair": ...} per line (text_pair optional)
// out: {"ids": [...], "type_ids": [...], "tokens": [...]} per line, special tokens added, no truncation.
// MODEL_DIR needs tokenizer.json; tokenizer_config.json is passed along when present.
import { existsSync, readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node tokenize_ref.mjs MODEL_DIR < in.jsonl > out.jsonl");
  process.exit(2);
}
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const configPath = `${dir}/tokenizer_config.json`;
const tokenizer = new Tokenizer(readJson(`${dir}/tokenizer.json`), existsSync(configPath) ? readJson(configPath) : {});

const lines = readFileSync(0, "utf8").split("\n");
let chunk = [];
for (const line of lines) {
  if (line === "") continue;
  const { text, text_pair = null } = JSON.parse(line);
  const e = tokenizer.encode(text, { text_pair, return_token_type_ids: true });
  chunk.push(JSON.stringify({ ids: e.ids, type_ids: e.token_type_ids, tokens: e.tokens }));
  // Written in chunks: one string for 100,000 reviews would pass V8's string size limit.
  if (chunk.length === 1000) {
    process.stdout.write(chunk.join("\n") + "\n");
    chunk = [];
  }
}
if (chunk.length > 0) process.stdout.write(chunk.join("\n") + "\n");
