#!/usr/bin/python3
"""`bertft bench` (fp32 and bf16 mixed precision) against PyTorch (tests/reference/torch_bert.py) on the same shapes, 2 threads, random
weights and token ids, no padding: fp32 training step (forward + CE loss + backward + clip_grad_norm_
+ AdamW step, dropout 0.1) and inference (no_grad forward), batch 8. PyTorch runs in fp32 and in bf16
autocast, each case in its own subprocess so its peak RSS (RUSAGE_CHILDREN) is its own.

  /usr/bin/python3 bench/compare_torch.py [--bertft build/bertft] [--quick] [--seconds 4]

Inference also runs against ONNX Runtime (npm onnxruntime-node through tests/reference/ort_run.mjs: CPU,
all graph optimizations, 2 intra-op threads) on the same random model written as an ONNX graph by
tests/reference/onnx_bert.py, in fp32 and in int8 as ORT's quantize_dynamic(per_channel=True) makes it
(per-channel symmetric int8 weights, DynamicQuantizeLinear + MatMulInteger + scale), and against
`bertft bench --precision int8`; a second table prints these with int8's ratios to bertft bf16 and to
ORT int8. A column whose peer is missing (no onnxruntime-node or python3-onnx, a bertft without int8)
prints n/a with the reason below the table.

Defaults: 3 shapes x T in (128, 512) x (train, infer), 4 s per timed run: ~20 min. Prints the
comparison tables and a per-op profile of bertft's bf16 runs.

--quick: BERT-tiny and BERT-mini at T=128 only, 2 s each.
--infer-only: skip the training rows. --only SHAPE (repeatable): only these shapes (e.g.
BERT-base). --lengths T [T ...]: these sequence lengths."""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "tests", "reference")
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


def write_onnx(prefix, shape):
    """Child process: PREFIX.fp32.onnx and PREFIX.int8.onnx of the shape's random model."""
    sys.path.insert(0, REFERENCE)
    import onnx
    import torch
    import onnx_bert
    import torch_bert
    torch.manual_seed(0)
    L, H, A, I = shape
    config = {"vocab_size": 30522, "hidden_size": H, "num_hidden_layers": L, "num_attention_heads": A,
              "intermediate_size": I, "max_position_embeddings": 512}
    state = {k: v.numpy() for k, v in
             torch_bert.BertForSequenceClassification(torch_bert.Config(config)).state_dict().items()}
    for p in ("fp32", "int8"):
        onnx.save(onnx_bert.build_model(config, state, int8=p == "int8"), f"{prefix}.{p}.onnx")


def run_torch(shape, T, mode, dtype, seconds):
    cmd = torch_cmd(shape, T, mode, dtype, seconds, "--rss-wrapper")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"PyTorch case failed: {' '.join(cmd)}\n{r.stderr}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    return out["tokens_per_s"], out["peak_rss_mb"]


def run_bertft(bertft, shape, T, mode, precision, seconds, optional=False):
    """bench's JSON; with optional, (None, reason) instead of exiting when bench rejects the case."""
    L, H, A, I = shape
    cmd = [bertft, "bench", "--layers", str(L), "--hidden", str(H), "--heads", str(A), "--intermediate", str(I),
           "--batch-size", str(BATCH[mode]), "--seq-len", str(T), "--mode", mode, "--precision", precision,
           "--seconds", str(seconds), "--threads", str(THREADS)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        if optional:
            return None, f"bertft bench --precision {precision}: {(r.stderr.strip().splitlines() or ['failed'])[-1]}"
        sys.exit(f"bertft bench failed: {' '.join(cmd)}\n{r.stderr}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    return (out, None) if optional else out


class OnnxRuntimePeer:
    """The random model of a shape as ONNX graphs (fp32 and int8), written once per shape, timed by
    onnxruntime-node. unavailable is the reason it cannot run here, or None."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="compare-torch-onnx-")
        self.graphs = {}
        self.unavailable = None
        if not os.path.isdir(os.path.join(REFERENCE, "node_modules", "onnxruntime-node")):
            self.unavailable = "onnxruntime-node is not in tests/reference/node_modules (scripts/install-deps.sh)"
        else:
            try:
                import onnx  # noqa: F401
            except ImportError:
                self.unavailable = "the onnx Python package is missing (apt-get install python3-onnx)"

    def graph(self, name, shape, precision):
        """The .onnx path of the shape's random model (torch_bert's init, seed 0, as the PyTorch cases),
        written by a child process: a child's peak RSS starts at its parent's (Linux keeps ru_maxrss
        across fork and exec), so this process must never hold a model."""
        if (name, precision) not in self.graphs:
            prefix = os.path.join(self.dir.name, name)
            r = subprocess.run([sys.executable, os.path.abspath(__file__), "--write-onnx", prefix,
                                "--shape", *map(str, shape)], capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"writing the ONNX graphs of {name} failed:\n{r.stderr}")
            for p in ("fp32", "int8"):
                self.graphs[(name, p)] = f"{prefix}.{p}.onnx"
        return self.graphs[(name, precision)]

    def run(self, name, shape, T, precision, seconds):
        cmd = ["node", os.path.join(REFERENCE, "ort_run.mjs"), "--model", self.graph(name, shape, precision),
               "--threads", str(THREADS), "--batch", str(BATCH["infer"]), "--seq-len", str(T),
               "--seconds", str(seconds)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"ONNX Runtime case failed: {' '.join(cmd)}\n{r.stderr}")
        return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bertft", default=os.path.join(HERE, "..", "build", "bertft"))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--seconds", type=float)
    p.add_argument("--infer-only", action="store_true")
    p.add_argument("--lengths", type=int, nargs="+", metavar="T")
    p.add_argument("--only", action="append", choices=[name for name, *_ in SHAPES], metavar="SHAPE")
    p.add_argument("--torch-case", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--rss-wrapper", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--write-onnx", metavar="PREFIX", help=argparse.SUPPRESS)
    p.add_argument("--shape", type=int, nargs=4, help=argparse.SUPPRESS)
    p.add_argument("--seq-len", type=int, help=argparse.SUPPRESS)
    p.add_argument("--mode", help=argparse.SUPPRESS)
    p.add_argument("--dtype", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.torch_case:
        return torch_case(args)
    if args.rss_wrapper:
        return rss_wrapper(args)
    if args.write_onnx:
        return write_onnx(args.write_onnx, args.shape)
    seconds = args.seconds or (2 if args.quick else 4)
    shapes = SHAPES[:2] if args.quick else SHAPES
    if args.only:
        shapes = [s for s in SHAPES if s[0] in args.only]
    lens = args.lengths or ([128] if args.quick else [128, 512])
    modes = ("infer",) if args.infer_only else ("train", "infer")
    print("| shape | T | mode | bertft fp32 | bertft bf16 | PyTorch fp32 | PyTorch bf16 | speed vs best PyTorch "
          "| bertft bf16 GFLOP/s (share of bf16 matmul peak) | peak RSS MB bertft bf16 / best PyTorch (ratio) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    profiles, int8_rows, notes = [], [], []
    ort = OnnxRuntimePeer()
    if ort.unavailable:
        notes.append("ONNX Runtime: " + ort.unavailable)
    for name, *shape in shapes:
        for T in lens:
            for mode in modes:
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
                if mode == "infer":
                    b8, why = run_bertft(args.bertft, shape, T, mode, "int8", seconds, optional=True)
                    if why and why not in notes:
                        notes.append(why)
                    o32 = o8 = None
                    if not ort.unavailable:
                        o32 = ort.run(name, shape, T, "fp32", seconds)
                        o8 = ort.run(name, shape, T, "int8", seconds)
                    int8_rows.append((name, T, b16, b8, o32, o8))
    print("\nInference against ONNX Runtime (tokens/s; batch %d, %d threads; ORT int8 = quantize_dynamic's "
          "graph):\n" % (BATCH["infer"], THREADS))
    print("| shape | T | bertft bf16 | bertft int8 | ORT fp32 | ORT int8 | bertft int8 / bertft bf16 "
          "| bertft int8 / ORT int8 | bertft bf16 / ORT int8 | peak RSS MB bertft int8 / ORT int8 |")
    print("|---|---|---|---|---|---|---|---|---|---|")

    def rate(result):
        return f"{result['tokens_per_s']:.0f}" if result else "n/a"

    def ratio(a, b):
        return f"**{a['tokens_per_s'] / b['tokens_per_s']:.2f}x**" if a and b else "n/a"

    for name, T, b16, b8, o32, o8 in int8_rows:
        rss = f"{b8['peak_rss_mb']:.0f} / {o8['peak_rss_mb']:.0f}" if b8 and o8 else "n/a"
        print(f"| {name} | {T} | {rate(b16)} | {rate(b8)} | {rate(o32)} | {rate(o8)} | {ratio(b8, b16)} | "
              f"{ratio(b8, o8)} | {ratio(b16, o8)} | {rss} |", flush=True)
    for note in notes:
        print(f"\nn/a: {note}")
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
