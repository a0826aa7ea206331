#!/usr/bin/python3
"""Prints the markdown table of bench/electra_vs_mlm.sh's measurements in WORK_DIR: per objective and
budget, the pretraining steps, the steps per second since the objective's previous budget, the tokens
seen, the held-out pretraining metrics at the budget, and the fine-tuned snapshot's accuracy on the 10%
of IMDb train held out and on all 25,000 test reviews. A masked-LM snapshot continued with a decaying
learning rate (DECAY) follows its budget's rows, its steps counted from the start of pretraining.
Snapshots not yet fine-tuned show their pretraining columns only. Below the table: the bundled masked LM
models/imdb-bert fine-tuned with the same recipe, once the script has done it.

With --curve RUN.jsonl it prints instead the held-out curve an ELECTRA run logged: step, training
seconds, learning rate, discriminator AUC, generator MLM loss and accuracy.

With --generator ELECTRA.jsonl ALONE.jsonl... it prints the held-out masked-LM accuracy of the ELECTRA
run's generator beside that of each run of it (or of a wider or narrower one) alone
(bench/electra_generator_alone.sh), every 1,000 steps and at each run's last evaluation (– where a run has none)."""
import glob
import json
import os
import re
import sys

BATCH, LENGTH = 32, 128  # the script's sequences per step and tokens per packed sequence


def load(path):
    with open(path) as f:
        return json.load(f)


def records(log):
    with open(log) as f:
        for line in f:
            yield json.loads(line)


def curve(log):
    print("| step | seconds | learning rate | discriminator AUC | generator MLM loss | generator accuracy |")
    print("|---:|---:|---:|---:|---:|---:|")
    learning_rate = {}
    for d in records(log):
        if "learning_rate" in d:
            learning_rate[d["step"]] = d["learning_rate"]
        if "eval_discriminator_auc" in d:
            print("| %d | %.0f | %s | %.3f | %.3f | %.1f%% |" % (
                d["step"], d["seconds"], ("%.2e" % learning_rate.get(d["step"], float("nan"))).replace("e-0", "e-"),
                d["eval_discriminator_auc"], d["eval_generator_loss"], 100 * d["eval_mlm_accuracy"]))


def held_out_accuracy(log):
    """step -> held-out masked-LM accuracy; a resumed run's later record of a step wins."""
    return {d["step"]: d["eval_mlm_accuracy"] for d in records(log) if "eval_mlm_accuracy" in d}


def generator_table(electra_log, alone_logs):
    runs = [held_out_accuracy(electra_log)] + [held_out_accuracy(log) for log in alone_logs]
    names = ["inside ELECTRA"] + ["alone, %s" % os.path.basename(log).removesuffix(".jsonl") for log in alone_logs]
    print("| step | " + " | ".join(names) + " |")
    print("|---:|" + "---:|" * len(names))
    last_steps = {max(run) for run in runs[1:] if run}
    for step in sorted(set.union(*(set(run) for run in runs[1:]))):
        if step % 1000 == 0 or step in last_steps:
            print("| %d | " % step + " | ".join("%.1f%%" % (100 * run[step]) if step in run else "–" for run in runs) + " |")


def main():
    if sys.argv[1:2] == ["--curve"] and len(sys.argv) == 3:
        return curve(sys.argv[2])
    if sys.argv[1:2] == ["--generator"] and len(sys.argv) >= 4:
        return generator_table(sys.argv[2], sys.argv[3:])
    work = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/bertft/electra-vs-mlm")
    snapshots = []
    for path in glob.glob(os.path.join(work, "*-*", "config.json")):
        match = re.fullmatch(r"(mlm|electra|random)-(\d+)(?:-decay-(\d+))?", os.path.basename(os.path.dirname(path)))
        if match and (match.group(1) == "random" or os.path.exists(os.path.join(os.path.dirname(path), "metrics.json"))):
            snapshots.append((int(match.group(2)), match.group(1), int(match.group(3) or 0), os.path.dirname(path)))
    if not snapshots:
        sys.exit("electra_vs_mlm_table: no snapshots in %s" % work)
    with open(os.path.join(work, "cpu.txt")) as f:
        cpu = ", ".join(line.strip() for line in f if line.strip())
    print("Pretraining budget per objective, 1 thread each side by side on 2 cores of %s.\n" % cpu)
    print("| budget | objective | steps | steps/s since the last budget | tokens seen | held-out pretraining metrics "
          "| fine-tuned: validation | IMDb test (25,000) |")
    print("| ---: | --- | ---: | ---: | ---: | --- | ---: | ---: |")
    last = {}  # objective -> (budget, steps) of its previous row
    for budget, objective, decay, snapshot in sorted(snapshots, key=lambda s: (s[0], s[2], s[1] != "mlm")):
        m = load(os.path.join(snapshot, "metrics.json")) if objective != "random" else {"global_step": 0}
        steps = m["global_step"]
        if decay:
            steps += load(os.path.join(work, "mlm-%d" % budget, "metrics.json"))["global_step"]
            rate = "–"
        else:
            last_budget, last_steps = last.get(objective, (0, 0))
            rate = "%.2f" % ((steps - last_steps) / (budget - last_budget)) if budget > last_budget else "–"
            last[objective] = (budget, steps)
        if objective == "random":
            held_out = "(random initialisation)"
        elif objective == "mlm":
            held_out = "MLM loss %.3f, accuracy %.1f%%" % (m["eval_loss"], 100 * m["eval_mlm_accuracy"])
        else:
            held_out = "discriminator AUC %.3f, accuracy %.1f%%; generator MLM loss %.3f, accuracy %.1f%%" % (
                m["eval_discriminator_auc"], 100 * m["eval_discriminator_accuracy"], m["eval_generator_loss"],
                100 * m["eval_mlm_accuracy"])
        valid = test = "–"
        finetuned = os.path.join(snapshot + ".finetuned", "metrics.json")
        if os.path.exists(finetuned):
            f = load(finetuned)
            if "valid" in f:
                valid = "%.2f%%" % (100 * f["valid"]["accuracy"])
        if os.path.exists(snapshot + ".test.json"):
            t = load(snapshot + ".test.json")
            test = "**%.2f%%**" % (100 * t["accuracy"])
        name = {"mlm": "masked LM", "electra": "ELECTRA", "random": "none"}[objective]
        print("| %d min%s | %s | %d | %s | %.1f M | %s | %s | %s |" % (
            round(budget / 60), " + %d steps" % decay if decay else "",
            name + ", then its learning rate decayed to 0" if decay else name, steps, rate,
            steps * BATCH * LENGTH / 1e6, held_out, valid, test))
    bundled = os.path.join(work, "imdb-bert.test.json")
    if os.path.exists(bundled):
        print("\nFor scale, the bundled masked LM `models/imdb-bert` (scripts/pretrain-imdb.sh: 12,000 steps, "
              "learning rate decayed to 0) fine-tuned with the same recipe: IMDb test **%.2f%%**."
              % (100 * load(bundled)["accuracy"]))


if __name__ == "__main__":
    main()
