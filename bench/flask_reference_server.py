#!/usr/bin/python3
"""The reference server of bench/serve_load.sh: a BERT classifier behind Flask, as the tutorials bertft
replaces write it. A /predict route tokenizes the request's text and runs the model on it, one request
at a time per worker process; deployed with gunicorn's default sync workers:

  BENCH_MODEL=DIR BENCH_THREADS=2 BENCH_PRECISION=fp32|bf16 \\
    /usr/bin/python3 -m gunicorn --chdir bench -w 1 -b 127.0.0.1:8000 flask_reference_server:app

The model is loaded with tests/reference/hf_checkpoint.py's from_pretrained (transformers'
BertForSequenceClassification module tree in plain PyTorch: transformers is not packaged in Debian),
the tokenizer is bench/bert_tokenizer.py. Same API shape as `bertft serve`: POST /predict
{"inputs": TEXT, "truncate": BOOL} -> [{"label", "score"}, ...] highest first; GET /health.

  /usr/bin/python3 bench/flask_reference_server.py --pick-precision --model DIR --threads 2 --texts FILE

times fp32 and bf16 autocast forward passes on the texts (JSON list) and prints the faster as JSON."""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import torch  # noqa: E402

import hf_checkpoint  # noqa: E402
from bert_tokenizer import BertTokenizer  # noqa: E402


def load(model_dir, threads):
    torch.set_num_threads(threads)
    model, _ = hf_checkpoint.from_pretrained("BertForSequenceClassification", model_dir)
    model.eval()
    max_length = model.config.max_position_embeddings
    return model, BertTokenizer(model_dir, max_length=max_length)


def classify(model, ids, bf16):
    input_ids = torch.tensor([ids])
    mask = torch.ones_like(input_ids)
    types = torch.zeros_like(input_ids)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logits = model(input_ids, mask, types)
    return torch.softmax(logits.float(), dim=-1)[0].tolist()


def pick_precision(argv):
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--pick-precision", action="store_true")
    p.add_argument("--model", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--texts", required=True, help="JSON list of texts")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    model, tokenizer = load(args.model, args.threads)
    with open(args.texts, encoding="utf-8") as f:
        texts = json.load(f)
    start = time.perf_counter()
    encoded = [tokenizer.encode(t) for t in texts]
    tokenize_ms = 1000 * (time.perf_counter() - start) / len(texts)
    best = {"fp32": float("inf"), "bf16": float("inf")}
    for name in best:  # warm-up: first calls pay for allocations and oneDNN's kernel generation
        for ids in encoded:
            classify(model, ids, name == "bf16")
    for _ in range(args.rounds):  # alternate, keep each mode's best round: the machine may be busy
        for name in best:
            start = time.perf_counter()
            for ids in encoded:
                classify(model, ids, name == "bf16")
            best[name] = min(best[name], 1000 * (time.perf_counter() - start) / len(encoded))
    faster = min(best, key=best.get)
    print(json.dumps({"precision": faster, "fp32_ms": round(best["fp32"], 2), "bf16_ms": round(best["bf16"], 2),
                      "tokenize_ms": round(tokenize_ms, 3), "torch": torch.__version__}))


def create_app():
    from flask import Flask, jsonify, request

    model, tokenizer = load(os.environ["BENCH_MODEL"], int(os.environ.get("BENCH_THREADS", "2")))
    bf16 = os.environ.get("BENCH_PRECISION", "fp32") == "bf16"
    id2label = {int(k): v for k, v in model.config.id2label.items()}
    app = Flask(__name__)

    @app.route("/health")
    def health():
        return ""

    @app.route("/predict", methods=["POST"])
    def predict():
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or not isinstance(data.get("inputs"), str):
            return jsonify({"error": "expected {\"inputs\": TEXT}", "error_type": "Validation"}), 400
        ids = tokenizer.encode(data["inputs"], truncation=bool(data.get("truncate", False)))
        if len(ids) > tokenizer.max_length:
            return jsonify({"error": "input is longer than the maximum length", "error_type": "Validation"}), 422
        probs = classify(model, ids, bf16)
        scores = [{"label": id2label[i], "score": p} for i, p in enumerate(probs)]
        return jsonify(sorted(scores, key=lambda s: -s["score"]))

    return app


if __name__ == "__main__" and "--pick-precision" in sys.argv:
    pick_precision(sys.argv[1:])
elif __name__ == "__main__":
    sys.exit(__doc__)
else:
    app = create_app()
