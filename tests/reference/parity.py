"""Shared by the gradient parity tests (tests/integration/test_grad_parity, test_mlm_parity): running
`bertft grad-check`, comparing gradients with a float64 PyTorch reference, and the random weights
that make such a comparison sensitive."""
import math
import subprocess

import torch

import hf_format

TOLERANCE = 1e-4       # fp32: relative error of the loss and of every gradient tensor
BF16_TOLERANCE = 2e-2  # bf16: absolute floor of a tensor's relative error (see check_bf16)


def randomize(model):
    """Non-trivial LayerNorm parameters and biases, embeddings and weights at a scale where every
    layer matters (HF's init makes most gradients tiny). LayerNorms and embeddings are told by their
    module type, whatever their names; frozen parameters (DistilBERT's sinusoidal positions) stay."""
    norms, embeddings = set(), set()
    for module_name, module in model.named_modules():
        kind = norms if isinstance(module, torch.nn.LayerNorm) else \
            embeddings if isinstance(module, torch.nn.Embedding) else None
        if kind is not None:
            kind.update(f"{module_name}.{p}" for p, _ in module.named_parameters(recurse=False))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if not p.requires_grad:
                continue
            if name in norms and name.endswith(".weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            elif name in embeddings:
                p.copy_(0.5 * torch.randn_like(p))
            else:
                p.copy_(1.5 * torch.randn_like(p) / math.sqrt(p.shape[1]))


def run_grad_check(bertft, model_dir, input_path, out_path, extra):
    """Runs `bertft grad-check`; returns (gradients by name, micro-batch losses, stderr, metadata)."""
    cmd = [bertft, "grad-check", "--model", model_dir, "--input", input_path, "--output", out_path] + extra
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(cmd), proc.returncode, proc.stderr))
    tensors, metadata = hf_format.load_safetensors(out_path)
    return tensors, [float(x) for x in metadata["loss"].split(",")], proc.stderr, metadata


def rel_err(got, want, tiny=1e-30):
    return (got.double() - want.double()).abs().max().item() / max(want.abs().max().item(), tiny)


KEY_BIASES = {"attention.self.key.bias": "attention.self.query.bias", "attention.k_lin.bias": "attention.q_lin.bias"}


def tiny_for(name, want):
    """The denominator floor: attention key-bias gradients are analytically zero (noise only), so
    they are measured against the same layer's query-bias gradient."""
    for key, query in KEY_BIASES.items():
        if name.endswith(key):
            return want[name[:-len(key)] + query].abs().max().item()
    return 1e-30


def compare(label, got, want, only=None, yardstick=None):
    """Worst relative error over the tensors (all, or those `only` accepts); prints failures.
    yardstick (PyTorch's own fp32 gradients): a tensor also passes if its error is at most 4x
    PyTorch fp32's. Only the opt-in base-size models use it: in their deep layers the query/key
    gradients are ~1e-8 of the others, pure rounding noise in fp32 for PyTorch as for bertft."""
    worst, worst_name, failures = 0.0, "", 0
    assert set(got) == set(want), "%s: tensor names differ: %s" % (label, set(got) ^ set(want))
    for name in sorted(want):
        if only is not None and not only(name):
            continue
        err = rel_err(got[name], want[name], tiny_for(name, want))
        if err > worst:
            worst, worst_name = err, name
        if yardstick is not None and err > TOLERANCE:
            if err <= 4 * rel_err(yardstick[name], want[name], tiny_for(name, want)):
                continue
        if not err <= TOLERANCE:
            failures += 1
            print("FAIL %s %s: rel err %.3g (max|grad| %.3g)" % (label, name, err, want[name].abs().max().item()))
    return worst, worst_name, failures



def check_bf16(label, got, got_loss, want, want_loss, autocast, autocast_loss):
    """bertft --precision bf16 against the float64 reference: each tensor within 4x the error of
    PyTorch autocast's bf16 gradient of the same tensor, or within BF16_TOLERANCE; the loss within
    4x autocast's loss error or 1e-2 relative. Returns (failures, worst, worst autocast)."""
    failures, worst, worst_autocast = 0, 0.0, 0.0
    for name in sorted(want):
        err = rel_err(got[name], want[name], tiny_for(name, want))
        theirs = rel_err(autocast[name], want[name], tiny_for(name, want))
        worst, worst_autocast = max(worst, err), max(worst_autocast, theirs)
        if not (err <= BF16_TOLERANCE or err <= 4 * theirs):
            failures += 1
            print("FAIL %s bf16 %s: rel err %.3g, PyTorch autocast %.3g" % (label, name, err, theirs))
    loss_err = abs(got_loss - want_loss) / abs(want_loss)
    if not (loss_err <= 1e-2 or loss_err <= 4 * abs(autocast_loss - want_loss) / abs(want_loss)):
        failures += 1
        print("FAIL %s bf16 loss %.6g, reference %.6g, autocast %.6g" % (label, got_loss, want_loss, autocast_loss))
    return failures, worst, worst_autocast
