#!/usr/bin/python3
"""Prints the markdown tables of bench/multiclass.sh's measurements: one summary row per run, then per
task the BERT run's per-class table and confusion matrix (rows: true class, columns: predicted)."""
import json
import os
import sys

TASKS = [("ag-news", "AG News topics (1,520 test rows)"), ("imdb-rating", "IMDb star ratings (25,000 test reviews)")]
ROWS = [("tfidf", "TF-IDF + LR"), ("lstm", "LSTM"), ("bilstm-attention", "BiLSTM + attention"),
        ("lstm-bf16", "LSTM, bf16"), ("bilstm-attention-bf16", "BiLSTM + attention, bf16"), ("bert", "BERT")]
# The rows each task has (bench/multiclass.sh runs the recurrent baselines on AG News only).
TASK_ROWS = {"ag-news": [r for r, _ in ROWS], "imdb-rating": ["tfidf", "bert"]}


def minutes(seconds):
    m, s = divmod(int(round(seconds)), 60)
    return "%d min %02d s" % (m, s)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/bertft/multiclass")
    runs = {}
    for task, _ in TASKS:
        for row, _ in ROWS:
            path = os.path.join(out, f"{task}-{row}.json")
            if os.path.exists(path):
                runs[(task, row)] = json.load(open(path))
    print("| task | model | accuracy | macro F1 | micro F1 | weighted F1 | wall time |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for task, title in TASKS:
        for row in TASK_ROWS[task]:
            r = runs.get((task, row))
            if not r:
                print(f"| {title} | (not measured yet) | | | | | |")
                continue
            m = r["metrics"]
            print(f"| {title} | {r['description']} | {100 * m['accuracy']:.2f}% | {m['macro_f1']:.3f} | "
                  f"{m['micro_f1']:.3f} | {m['weighted_f1']:.3f} | {minutes(r['seconds'])} |")
    for task, title in TASKS:
        for row, name in ROWS:
            r = runs.get((task, row))
            if not r or row != "bert":
                continue
            m = r["metrics"]
            labels = [c["label"] for c in m["per_class"]]
            print(f"\n{title}, {name}: per class, and the confusion matrix (rows true, columns predicted)\n")
            print("| class | precision | recall | F1 | support | " + " | ".join(labels) + " |")
            print("| --- | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in labels) + " |")
            for c, counts in zip(m["per_class"], m["confusion_matrix"]):
                print(f"| {c['label']} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} | "
                      + " | ".join(str(v) for v in counts) + " |")


if __name__ == "__main__":
    main()
