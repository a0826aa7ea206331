// Reference tokenizer for the parity tests: @huggingface/tokenizers (tokenizers.js) over JSON Lines.
//   node tokenize_ref.mjs MODEL_DIR < in.jsonl > out.jsonl
// in:  {"text": ..., "text_pair": ..., "rust_whitespace": true} per line (text_pair, rust_whitespace
//      optional)
// out: {"ids": [...], "type_ids": [...], "tokens": [...]} per line, special tokens added, no truncation.
// MODEL_DIR needs tokenizer.json; tokenizer_config.json is passed along when present.
//
// rust_whitespace asks for the Rust library's whitespace where tokenizers.js uses JavaScript's:
// GPT-2's split pattern (ByteLevel) and the trimming of lstrip / rstrip added tokens then take
// Unicode White_Space (with U+0085, without U+FEFF) for JS's \s and trim(). That is the one
// documented difference of src/tokenizer/byte_level.h, rewritten here only for the records the
// parity test marks (those with U+0085 or U+FEFF).
import { existsSync, readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node tokenize_ref.mjs MODEL_DIR < in.jsonl > out.jsonl");
  process.exit(2);
}
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const configPath = `${dir}/tokenizer_config.json`;
const tokenizerJson = readJson(`${dir}/tokenizer.json`);
const config = existsSync(configPath) ? readJson(configPath) : {};
const tokenizer = new Tokenizer(tokenizerJson, config);

const SPACE = String.raw`[\t-\r\x85\p{Z}]`;  // Unicode White_Space, as Rust's char::is_whitespace and regex \s
const NON_SPACE = String.raw`[^\t-\r\x85\p{Z}]`;
let rustTokenizer = null;
const rustWhitespaceTokenizer = () => {
  if (!rustTokenizer) {
    rustTokenizer = new Tokenizer(tokenizerJson, config);
    if (rustTokenizer.pre_tokenizer?.pattern) {
      rustTokenizer.pre_tokenizer.pattern = new RegExp(
        String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\t-\r\x85\p{Z}\p{L}\p{N}]+|${SPACE}+(?!${NON_SPACE})|${SPACE}+`,
        "gu");
    }
  }
  return rustTokenizer;
};
// tokenizers.js trims lstrip / rstrip neighbours with String.prototype.trimEnd / trimStart.
const jsTrim = { trimEnd: String.prototype.trimEnd, trimStart: String.prototype.trimStart };
const rustTrim = {
  trimEnd() { return this.replace(new RegExp(`${SPACE}+$`, "u"), ""); },
  trimStart() { return this.replace(new RegExp(`^${SPACE}+`, "u"), ""); },
};

const lines = readFileSync(0, "utf8").split("\n");
let chunk = [];
for (const line of lines) {
  if (line === "") continue;
  const { text, text_pair = null, rust_whitespace = false } = JSON.parse(line);
  let e;
  if (rust_whitespace) {
    Object.assign(String.prototype, rustTrim);
    try {
      e = rustWhitespaceTokenizer().encode(text, { text_pair, return_token_type_ids: true });
    } finally {
      Object.assign(String.prototype, jsTrim);
    }
  } else {
    e = tokenizer.encode(text, { text_pair, return_token_type_ids: true });
  }
  chunk.push(JSON.stringify({ ids: e.ids, type_ids: e.token_type_ids, tokens: e.tokens }));
  // Written in chunks: one string for 100,000 reviews would pass V8's string size limit.
  if (chunk.length === 1000) {
    process.stdout.write(chunk.join("\n") + "\n");
    chunk = [];
  }
}
if (chunk.length > 0) process.stdout.write(chunk.join("\n") + "\n");
