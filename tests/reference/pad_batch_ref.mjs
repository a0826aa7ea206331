// Reference for the Python module's Tokenizer.__call__ (tests/python): the Rust tokenizers library
// (the Node binding tokenizers-linux-x64-gnu, as wordpiece_train_ref.mjs loads it) encoding a batch
// with padding and truncation, as transformers' tokenizer(texts, padding=..., truncation=True,
// max_length=...) configures it.
//   node pad_batch_ref.mjs MODEL_DIR < request.json > batch.json
// request: {"texts": [...], "padding": "longest" | "max_length", "max_length": N}
// out:     {"input_ids": [[...]], "token_type_ids": [[...]], "attention_mask": [[...]]}
// MODEL_DIR needs tokenizer.json.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const tokenizers = createRequire(import.meta.url)("tokenizers-linux-x64-gnu");
const dir = process.argv[2];
if (!dir) {
  console.error("usage: node pad_batch_ref.mjs MODEL_DIR < request.json > batch.json");
  process.exit(2);
}
const request = JSON.parse(readFileSync(0, "utf8"));
const tokenizer = tokenizers.Tokenizer.fromFile(`${dir}/tokenizer.json`);
tokenizer.setTruncation(request.max_length);
tokenizer.setPadding(request.padding === "max_length" ? { maxLength: request.max_length } : {});
const encodings = await tokenizer.encodeBatch(request.texts);
console.log(JSON.stringify({
  input_ids: encodings.map((e) => e.getIds()),
  token_type_ids: encodings.map((e) => e.getTypeIds()),
  attention_mask: encodings.map((e) => e.getAttentionMask()),
}));
