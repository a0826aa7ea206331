#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/fuzz_*.cpp) with clang + ASan/UBSan and runs each one.
#   bash scripts/fuzz.sh              # 300 s per target
#   bash scripts/fuzz.sh --seconds N  # N s per target
#   bash scripts/fuzz.sh --smoke      # 10 s per target (part of the test suite)
# Seed corpora are generated from files bertft itself writes (a tiny model dir); findings are
# written to build-fuzz/findings/ (crash-*, leak-*, timeout-*), and the script fails if any appear.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=300
case "${1:-}" in
  --smoke) seconds=10 ;;
  --seconds) seconds="$2" ;;
  "") ;;
  *) echo "usage: $0 [--smoke | --seconds N]" >&2; exit 2 ;;
esac

CXX=clang++ cmake -S . -B build-fuzz -DBERTFT_FUZZ=ON -DBERTFT_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null

# Seeds: a tiny model directory written by bertft (a few KB, so libFuzzer mutates all of it).
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target bertft >/dev/null
seed_model=build-fuzz/seed-model
rm -rf "$seed_model"
mkdir -p build-fuzz/seed-config
cat > build-fuzz/seed-config/config.json <<'JSON'
{"model_type": "bert", "vocab_size": 8, "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2,
 "intermediate_size": 8, "max_position_embeddings": 8, "type_vocab_size": 2}
JSON
./build/bertft init --config build-fuzz/seed-config/config.json --tokenizer models/demo --num-labels 2 \
  --output "$seed_model" >/dev/null
mkdir -p build-fuzz/findings
status=0
for target in build-fuzz/fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  corpus="build-fuzz/corpus-$name"
  mkdir -p "$corpus"
  case "$name" in
    fuzz_safetensors) cp "$seed_model/model.safetensors" "$corpus/seed" ;;
    fuzz_config) cp "$seed_model/config.json" "$corpus/seed" ;;
    fuzz_tokenizer) head -c 4000 examples/reviews.jsonl > "$corpus/seed"
                    { printf '\004'; head -c 4000 examples/reviews.jsonl; } > "$corpus/seed-bpe-text"
                    { printf '\002{"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "a": 4, "b": 5, "ab": 6, "\304\240": 7, "\304\240ab": 8, "<mask>": 9}'
                      printf '\000#version: 0.2\na b\n\304\240 ab\n\000{"add_prefix_space": true}'; } > "$corpus/seed-vocab-json" ;;
    fuzz_http_request) printf '\007POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 13\r\n\r\n{"inputs":"a"}GET /health HTTP/1.1\r\n\r\n' > "$corpus/seed"
                       printf '\003POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n4\r\nabcd\r\n0\r\n\r\n' > "$corpus/seed-chunked" ;;
    fuzz_dataset) { printf '\002'; ./build/bertft synth --n 8 --seed 1 --output -; } > "$corpus/seed-jsonl"
                  printf '\000text,label\n"a ""quoted""\nreview",positive\nbad,negative\n' > "$corpus/seed-csv" ;;
    # Both torch.save formats, written by torch itself: views, a shared storage, F16 and int64 tensors
    # (and pickle protocol 4's opcodes).
    fuzz_torch_checkpoint)
      if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
        /usr/bin/python3 - "$corpus" <<'PY'
import collections, sys, torch
w = torch.arange(6, dtype=torch.float32).reshape(2, 3)
state = collections.OrderedDict([("w", w), ("wt", w.t()), ("row", w[1]), ("h", torch.ones(2, dtype=torch.float16)),
                                 ("ids", torch.arange(2))])
state._metadata = collections.OrderedDict({"": {"version": 1}})
torch.save(state, sys.argv[1] + "/seed-zip")
torch.save(state, sys.argv[1] + "/seed-legacy", _use_new_zipfile_serialization=False)
torch.save(state, sys.argv[1] + "/seed-zip-protocol4", pickle_protocol=4)
PY
      else
        echo "fuzz: no PyTorch for /usr/bin/python3, so fuzz_torch_checkpoint starts without seeds" >&2
      fi ;;
  esac
  echo "fuzz: $name for ${seconds}s" >&2
  if ! "$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
       -artifact_prefix=build-fuzz/findings/"$name"- "$corpus" >"build-fuzz/$name.log" 2>&1; then
    echo "fuzz: $name FAILED, see build-fuzz/$name.log and build-fuzz/findings/" >&2
    tail -n 30 "build-fuzz/$name.log" >&2
    status=1
  fi
done
exit $status
