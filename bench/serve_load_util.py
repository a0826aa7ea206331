#!/usr/bin/python3
"""Helpers of bench/serve_load.sh (standard library only, plus bench/bert_tokenizer.py):

  serve_load_util.py bodies INPUTS_JSON KIND OUT_DIR        -> OUT_DIR/KIND.bodies (one POST body a line)
                                                               and OUT_DIR/KIND.json (the texts, a JSON list)
  serve_load_util.py tokens INPUTS_JSON MODEL_DIR BERTFT    -> "KIND MEAN_TOKENS" lines; exit 1 unless
                                                               bench/bert_tokenizer.py's token count equals
                                                               `bertft tokenize`'s on every input
  serve_load_util.py metrics METRICS_BEFORE METRICS_AFTER   -> mean inputs per forward pass in between
                                                               (bertft's /metrics, Prometheus text)
  serve_load_util.py agree BERTFT_REPLIES -- FLASK_REPLIES  -> whether the servers' replies agree
  serve_load_util.py table RESULTS_TSV                      -> the markdown tables of serve_load.sh"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def bodies(inputs_json, kind, out_dir):
    with open(inputs_json, encoding="utf-8") as f:
        texts = json.load(f)[kind]
    with open(os.path.join(out_dir, kind + ".bodies"), "w", encoding="utf-8") as f:
        for text in texts:
            f.write(json.dumps({"inputs": text, "truncate": True}, ensure_ascii=False) + "\n")
    with open(os.path.join(out_dir, kind + ".json"), "w", encoding="utf-8") as f:
        json.dump(texts, f, ensure_ascii=False)


def tokens(inputs_json, model_dir, bertft):
    sys.path.insert(0, HERE)
    from bert_tokenizer import BertTokenizer
    with open(inputs_json, encoding="utf-8") as f:
        inputs = json.load(f)
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        max_length = json.load(f).get("max_position_embeddings", 512)
    tokenizer = BertTokenizer(model_dir, max_length=max_length)
    ok = True
    for kind, texts in inputs.items():
        stdin = "".join(json.dumps({"text": t}) + "\n" for t in texts)
        out = subprocess.run([bertft, "tokenize", "--model", model_dir, "--max-length", str(max_length)],
                             input=stdin, capture_output=True, text=True, check=True).stdout
        theirs = [len(json.loads(line)["ids"]) for line in out.splitlines() if line.strip()]
        ours = [len(tokenizer.encode(t)) for t in texts]
        if ours != theirs:
            ok = False
            print("token counts differ on %s inputs: bench/bert_tokenizer.py %s, bertft tokenize %s"
                  % (kind, ours, theirs), file=sys.stderr)
        print(kind, round(sum(theirs) / len(theirs)))
    return 0 if ok else 1


def parse_metrics(path):
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("bertft_batch_inputs_sum") or line.startswith("bertft_batch_inputs_count"):
                name, value = line.split()
                values[name] = float(value)
    return values


def metrics(before, after):
    a, b = parse_metrics(before), parse_metrics(after)
    count = b.get("bertft_batch_inputs_count", 0) - a.get("bertft_batch_inputs_count", 0)
    total = b.get("bertft_batch_inputs_sum", 0) - a.get("bertft_batch_inputs_sum", 0)
    print("%.2f" % (total / count) if count > 0 else "-")


def agree(argv):
    """argv: bertft reply files, "--", flask reply files; each reply-SERVER-KIND.json, a /predict reply
    to the kind's first text. Prints the largest difference of a label's score from bertft's reply of
    the same kind; exit 1 when the labels differ or a score differs by more than 0.05 (bf16 vs fp32
    leaves far less)."""
    split = argv.index("--")

    def load(path):
        with open(path, encoding="utf-8") as f:
            return {s["label"]: s["score"] for s in json.load(f)}

    def kind(path):
        return path.rsplit("-", 1)[1][:-len(".json")]
    reference = {kind(path): load(path) for path in argv[:split]}
    worst = 0.0
    for path in argv[split + 1:]:
        reply, base = load(path), reference[kind(path)]
        if set(reply) != set(base):
            print("%s has labels %s, bertft %s" % (path, sorted(reply), sorted(base)))
            return 1
        worst = max([worst] + [abs(reply[label] - base[label]) for label in base])
    print("on the first text of each kind, every other server's scores are within %.1e of bertft's" % worst)
    return 0 if worst <= 0.05 else 1


def ratio(a, b, digits=2):
    return ("%.*fx" % (digits, a / b)) if b > 0 else "-"


def table(results_tsv):
    """RESULTS_TSV: a header line, then server kind tokens concurrency rps p50_ms p99_ms max_ms non2xx
    socket_errors statuses precision batch. Server "bertft", and "bertft-compare" (another build) or
    "flask-WxT" ones or both."""
    with open(results_tsv, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]
    kinds = list(dict.fromkeys(r["kind"] for r in rows))
    concurrencies = sorted({int(r["concurrency"]) for r in rows})

    def num(r, key):
        return "%.1f" % float(r[key])

    def socket_errors(r):
        total = sum(int(part.split(":")[1]) for part in r["socket_errors"].split(","))
        return str(total) if total == 0 else "%d (%s)" % (total, r["socket_errors"])

    def non2xx(r):
        return r["non2xx"] if r["non2xx"] == "0" else "%s (%s)" % (r["non2xx"], r["statuses"])

    def failures(r):  # the main table's one column for both
        errors = socket_errors(r)
        return non2xx(r) if errors == "0" else "%s + %s socket errors" % (non2xx(r), errors)

    def label(r):
        return "%s (~%s tokens)" % (r["kind"], r["tokens"])

    def config(r):
        return "%s %s" % (r["server"][len("flask-"):], r["precision"])

    lines = []
    if any(r["server"] == "bertft-compare" for r in rows):
        lines += ["This build against the compared one (--compare):", "",
                  "| input | c | bertft req/s | compared req/s | **req/s ratio** | bertft p99 ms | compared p99 ms "
                  "| **p99 ratio** | failed bertft / compared |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for kind in kinds:
            for c in concurrencies:
                here = {r["server"]: r for r in rows if r["kind"] == kind and int(r["concurrency"]) == c}
                b, o = here.get("bertft"), here.get("bertft-compare")
                if b and o:
                    lines.append("| %s | %d | %s | %s | **%s** | %s | %s | **%s** | %s / %s |" % (
                        label(b), c, num(b, "rps"), num(o, "rps"), ratio(float(b["rps"]), float(o["rps"])),
                        num(b, "p99_ms"), num(o, "p99_ms"), ratio(float(b["p99_ms"]), float(o["p99_ms"]), 3),
                        failures(b), failures(o)))
        lines.append("")
    if any(r["server"].startswith("flask-") for r in rows):
        lines += ["| input | c | bertft req/s | flask req/s | **req/s ratio** | bertft p50 ms | flask p50 ms "
                  "| bertft p99 ms | flask p99 ms | **p99 ratio** | failed bertft / flask | flask config |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
        for kind in kinds:
            for c in concurrencies:
                here = [r for r in rows if r["kind"] == kind and int(r["concurrency"]) == c]
                b = next((r for r in here if r["server"] == "bertft"), None)
                flasks = [r for r in here if r["server"].startswith("flask-")]
                if b is None or not flasks:
                    continue
                f = max(flasks, key=lambda r: float(r["rps"]))
                lines.append("| %s | %d | %s | %s | **%s** | %s | %s | %s | %s | **%s** | %s / %s | %s |" % (
                    label(b), c, num(b, "rps"), num(f, "rps"), ratio(float(b["rps"]), float(f["rps"]), 1),
                    num(b, "p50_ms"), num(f, "p50_ms"), num(b, "p99_ms"), num(f, "p99_ms"),
                    ratio(float(b["p99_ms"]), float(f["p99_ms"]), 3), failures(b), failures(f), config(f)))
    lines += ["", "failed: non-2xx responses (by status) and socket errors (connect, read, write, timeout at 30 s).", "",
              "Every run (flask WxT: W workers x T torch threads; bertft's mean inputs per forward pass from its /metrics):", "",
              "| server | input | c | req/s | p50 ms | p99 ms | max ms | non-2xx | socket errors | precision, batch |",
              "|---|---|---:|---:|---:|---:|---:|---|---|---|"]
    for r in rows:
        extra = ("%s, %s inputs per batch" % (r["precision"], r["batch"]) if r["server"].startswith("bertft")
                 else r["precision"])
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["server"].replace("-", " "), label(r), r["concurrency"], num(r, "rps"), num(r, "p50_ms"),
            num(r, "p99_ms"), num(r, "max_ms"), non2xx(r), socket_errors(r), extra))
    print("\n".join(lines))


def main(argv):
    if len(argv) >= 1 and argv[0] == "bodies" and len(argv) == 4:
        return bodies(*argv[1:])
    if len(argv) >= 1 and argv[0] == "tokens" and len(argv) == 4:
        return tokens(*argv[1:])
    if len(argv) >= 1 and argv[0] == "metrics" and len(argv) == 3:
        return metrics(*argv[1:])
    if len(argv) >= 1 and argv[0] == "agree" and "--" in argv:
        return agree(argv[1:])
    if len(argv) >= 1 and argv[0] == "table" and len(argv) == 2:
        return table(argv[1])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
