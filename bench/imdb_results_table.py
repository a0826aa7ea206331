#!/usr/bin/python3
"""Prints the markdown table of bench/imdb_results.sh's measurements (docs/results.md), in the script's row
order; rows not measured here are left out of the table and named on stderr."""
import json
import os
import sys

ORDER = ["tfidf-1gram", "tfidf-2gram", "tfidf-2gram-C4", "lstm", "bilstm-attention", "lstm-bf16", "bilstm-attention-bf16",
         "random-128", "pretrained-128", "distilled-128",
         "distilled2-128", "distilled3-128", "distilled4-128", "further-128",
         "pretrained-128-head", "pretrained-128-head+tail", "pretrained-128-mean", "pretrained-128-max",
         "ensemble-128-mean+max", "pretrained-256", "pretrained-512",
         "pretrained-128-frozen", "pretrained-128-lr1e-5", "pretrained-128-lr2e-5", "pretrained-128-lr3e-5",
         "pretrained-128-lr5e-5"]
# distilled 1-3 score students that only scripts/pretrain-imdb.sh's work directory holds
NEED_WORK = ("distilled-128", "distilled2-128", "distilled3-128")


def duration(seconds):
    if seconds is None:  # a distilled row scored without the pipeline's work directory
        return "see model card"
    if seconds < 60:
        return "%.1f s" % seconds
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return "%d h %02d min" % (hours, minutes) if hours else "%d min %02d s" % (minutes, seconds)


def main():
    results = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "imdb-results")
    print("| row | setup | accuracy | F1 | training | scoring 25,000 |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name in ORDER:
        path = os.path.join(results, name + ".json")
        if not os.path.exists(path):
            why = "needs scripts/pretrain-imdb.sh's work directory" if name in NEED_WORK else "not measured yet"
            print("left out %s: %s" % (name, why), file=sys.stderr)
            continue
        r = json.load(open(path))
        m = r["metrics"]
        print("| %s | %s | %.2f%% | %.3f | %s | %s |" % (name, r["description"], 100 * m["accuracy"], m["f1"],
                                                       duration(r["train_seconds"]), duration(r["test_seconds"])))


if __name__ == "__main__":
    main()
