#!/usr/bin/python3
"""`bertft bench` (fp32 and bf16 mixed precision) against PyTorch (tests/reference/torch_bert.py) on the same shapes, 2 threads, random
weights and token ids, no padding: fp32 training step (forward + CE loss + backward + clip_grad_norm_
+ AdamW step, dropout 0.1) and inference (no_grad forward), batch 8. PyTorch runs in fp32 and in bf16
autocast, each case in its own subprocess so its peak RSS (RUSAGE_CHILDREN) is its own.

  /usr/bin/python3 bench/compare_torch.py [--bertft build/bertft] [--quick] [--seconds 4]

Defaults: 3 shapes x T in (128, 512) x (train, infer), 4 s per timed run: ~15 min. Prints the
comparison table and a per-op profile of bertft's bf16 runs.

--quick: BERT-tiny and BERT-mini at T=128 only, 2 s each. Prints one markdown table."""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
THREADS = 2
BATCH = {"train": 8, "infer": 8}
SHAPES = [("BERT-tiny", 2, 128, 2, 512), ("BERT-mini", 4, 256, 4, 1024), ("BERT-base", 12, 768, 12, 3072)]


def torch_case(args):
    """Child process: time one PyTorch case, print tokens/s as JSON."""
    sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
    import torch
    import torch_bert
    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    L, H, A, I = args.shape
    cfg = torch_bert.Config({"vocab_size": 30522, "hidden_size": H, "num_hidden_layers": L,
                             "num_attention_heads": A, "intermediate_size": I,
                             "max_position_embeddings": max(512, args.seq_len)})
    model = torch_bert.BertForSequenceClassification(cfg)
    B, T = BATCH[args.mode], args.seq_len
    ids = torch.randint(1, 30522, (B, T))
    mask = torch.ones(B, T, dtype=torch.long)
    types = torch.zeros(B, T, dtype=torch.long)
    labels = torch.arange(B) % 2
    bf16 = args.dtype == "bf16"
    if args.mode == "train":
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)

        def step():
            opt.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = model(ids, mask, types)
            loss = torch.nn.functional.cross_entropy(logits.float(), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
    else:
        model.eval()

        def step():
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                model(ids, mask, types)
    for _ in range(2):
        step()
    steps, t0 = 0, time.perf_counter()
    while True:
        step()
        steps += 1
        el = time.perf_counter() - t0
        if el >= args.seconds:
            break
    print(json.dumps({"tokens_per_s": steps * B * T / el}))


def torch_cmd(shape, T, mode, dtype, seconds, role):
    return [sys.executable, os.path.abspath(__file__), role, "--shape", *map(str, shape), "--seq-len", str(T),
            "--mode", mode, "--dtype", dtype, "--seconds", str(seconds)]


def rss_wrapper(args):
    """Child process: run the case as its only child, so RUSAGE_CHILDREN's ru_maxrss is the case's own."""
    r = subprocess.run(torch_cmd(args.shape, args.seq_len, args.mode, args.dtype, args.seconds, "--torch-case"),
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(r.stderr)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    print(json.dumps(out))


def run_torch(shape, T, mode, dtype, seconds):
    cmd = torch_cmd(shape, T, mode, dtype, seconds, "--rss-wrapper")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"PyTorch case failed: {' '.join(cmd)}\n{r.stderr}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    return out["tokens_per_s"], out["peak_rss_mb"]


def run_bertft(bertft, shape, T, mode, precision, seconds):
    L, H, A, I = shape
    cmd = [bertft, "bench", "--layers", str(L), "--hidden", str(H), "--heads", str(A), "--intermediate", str(I),
           "--batch-size", str(BATCH[mode]), "--seq-len", str(T), "--mode", mode, "--precision", precision,
           "--seconds", str(seconds), "--threads", str(THREADS)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bertft bench failed: {' '.join(cmd)}\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bertft", default=os.path.join(HERE, "..", "build", "bertft"))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--seconds", type=float)
    p.add_argument("--torch-case", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--rss-wrapper", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--shape", type=int, nargs=4, help=argparse.SUPPRESS)
    p.add_argument("--seq-len", type=int, help=argparse.SUPPRESS)
    p.add_argument("--mode", help=argparse.SUPPRESS)
    p.add_argument("--dtype", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.torch_case:
        return torch_case(args)
    if args.rss_wrapper:
        return rss_wrapper(args)
    seconds = args.seconds or (2 if args.quick else 4)
    shapes = SHAPES[:2] if args.quick else SHAPES
    lens = [128] if args.quick else [128, 512]
    print("| shape | T | mode | bertft fp32 | bertft bf16 | PyTorch fp32 | PyTorch bf16 | speed vs best PyTorch "
          "| bertft bf16 GFLOP/s (share of bf16 matmul peak) | peak RSS MB bertft bf16 / best PyTorch (ratio) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    profiles = []
    for name, *shape in shapes:
        for T in lens:
            for mode in ("train", "infer"):
                b32 = run_bertft(args.bertft, shape, T, mode, "fp32", seconds)
                b16 = run_bertft(args.bertft, shape, T, mode, "bf16", seconds)
                t32, rss32 = run_torch(shape, T, mode, "fp32", seconds)
                t16, rss16 = run_torch(shape, T, mode, "bf16", seconds)
                best, best_rss = (t16, rss16) if t16 >= t32 else (t32, rss32)
                ours = max(b32["tokens_per_s"], b16["tokens_per_s"])
                print(f"| {name} | {T} | {mode} | {b32['tokens_per_s']:.0f} | {b16['tokens_per_s']:.0f} | {t32:.0f} | "
                      f"{t16:.0f} | **{ours / best:.2f}x** | {b16['gflops']:.0f} ({100 * b16['peak_share']:.0f}%) | "
                      f"{b16['peak_rss_mb']:.0f} / {best_rss:.0f} ({b16['peak_rss_mb'] / best_rss:.2f}) |", flush=True)
                profiles.append((name, T, mode, b16))
    print("\nWhere bertft bf16's time goes (share of a step; `bertft bench` prints milliseconds per op):\n")
    ops = ["linear", "attention", "optimizer", "convert", "activation", "layernorm", "dropout", "embeddings", "head",
           "other"]
    print("| shape | T | mode | " + " | ".join(ops) + " |")
    print("|---|---|---|" + "---|" * len(ops))
    for name, T, mode, b in profiles:
        prof = b["profile_ms_per_step"]
        total = b["ms_per_step"]
        print(f"| {name} | {T} | {mode} | " + " | ".join(f"{100 * prof.get(op, 0) / total:.0f}%" for op in ops) + " |")


if __name__ == "__main__":
    main()
