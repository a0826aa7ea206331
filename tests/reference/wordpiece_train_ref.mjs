// Reference WordPiece trainer for the vocab test: Hugging Face `tokenizers` (the Rust library, through
// its Node bindings) trains on text files, one document per line. The npm package "tokenizers" 0.13.3
// names native builds that were never published, which breaks `npm ci`; its one linux-x64 build,
// tokenizers-linux-x64-gnu 0.13.4-rc2, is the whole binding, so we load that directly.
//   node wordpiece_train_ref.mjs OUT_VOCAB_TXT FILE...
// The bindings expose only the model's default trainer: WordPieceTrainer with vocab_size 30000,
// min_frequency 0, no alphabet limit and no special tokens, after BertNormalizer (lowercase) and
// BertPreTokenizer. Writes the tokens one per line in id order.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const tokenizers = createRequire(import.meta.url)("tokenizers-linux-x64-gnu");

const [out, ...files] = process.argv.slice(2);
if (!out || files.length === 0) {
  console.error("usage: node wordpiece_train_ref.mjs OUT_VOCAB_TXT FILE...");
  process.exit(2);
}
const tokenizer = new tokenizers.Tokenizer(tokenizers.WordPiece.empty());
tokenizer.setNormalizer(tokenizers.bertNormalizer({ cleanText: true, handleChineseChars: true, lowercase: true }));
tokenizer.setPreTokenizer(tokenizers.bertPreTokenizer());
tokenizer.train(files);
const vocab = Object.entries(tokenizer.getVocab(true)).sort((a, b) => a[1] - b[1]);
writeFileSync(out, vocab.map(([token]) => token + "\n").join(""));
