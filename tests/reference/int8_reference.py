"""bertft's --precision int8 simulated on a PyTorch model of tests/reference (torch_bert, torch_families),
from its definition (src/kernels/int8_linear.h, docs/int8.md), not from bertft's code: every Linear of the
encoder (the families' base model; not the classification head, not BERT's pooler) multiplies its weight
quantized per output channel (symmetric int8, scale max|w| / 127) by its input quantized per row (u8 with a
zero point, over [min(0, min x), max(0, max x)] in 255 steps); the integer products are exact in float64
(|sum| < 2^53), everything else runs in float64. With bf16 attention (CPUs with AVX512-BF16), queries,
keys, values and the attention probabilities are rounded to bf16 as bertft's bf16 attention rounds them."""
import contextlib
import copy

import torch
import torch.nn.functional as F

from torch_families import FAMILIES


def cpu_has_bf16():
    """Whether bertft runs attention in bf16 here (the CPU flag its auto precision reads)."""
    with open("/proc/cpuinfo") as f:
        return any(line.startswith("flags") and " avx512_bf16" in line for line in f)


def to_bf16(x):
    """x rounded to the nearest bf16 (ties to even), in x's dtype."""
    return x.to(torch.bfloat16).to(x.dtype)


def quantize_weight(weight):
    """Per-output-channel symmetric int8 of a float32 weight [N, K], computed in float32 as bertft computes
    it from the same float32 values: (q [N, K], scale [N]) as float64."""
    max_abs = weight.abs().amax(dim=1)
    scale = torch.where(max_abs > 0, max_abs / 127, torch.ones_like(max_abs))
    q = torch.round(weight / scale[:, None])
    return q.double(), scale.double()


def quantize_rows(x):
    """Per-row asymmetric u8 of x [..., K]: (q, scale [...], zero_point [...]) with
    x ~ scale * (q - zero_point)."""
    lo = x.amin(dim=-1).clamp(max=0)
    hi = x.amax(dim=-1).clamp(min=0)
    scale = torch.where(hi > lo, (hi - lo) / 255, torch.ones_like(hi))
    zero_point = torch.round(-lo / scale)
    q = (torch.round(x / scale[..., None]) + zero_point[..., None]).clamp(0, 255)
    return q, scale, zero_point


class Int8Linear(torch.nn.Module):
    """A Linear in bertft's int8: out = row_scale * weight_scale * sum((q_x - zero_point) * q_w) + bias."""

    def __init__(self, linear, round_output_to_bf16):
        super().__init__()
        self.q_weight, self.weight_scale = quantize_weight(linear.weight.detach().float())
        self.bias = None if linear.bias is None else linear.bias.detach().double()
        self.round_output_to_bf16 = round_output_to_bf16

    def forward(self, x):
        q_x, row_scale, zero_point = quantize_rows(x.double())
        exact = (q_x - zero_point[..., None]) @ self.q_weight.T
        out = row_scale[..., None] * self.weight_scale * exact
        if self.bias is not None:
            out = out + self.bias
        return to_bf16(out) if self.round_output_to_bf16 else out


QKV_NAMES = ("query", "key", "value", "q_lin", "k_lin", "v_lin")


def int8_model(model, family, bf16_attention):
    """A float64 copy of `model` (a `family` classifier from tests/reference) with every encoder Linear
    replaced by Int8Linear; with bf16_attention, the query/key/value projections' outputs are rounded to
    bf16 (run it under bf16_probabilities())."""
    sim = copy.deepcopy(model).double().eval()
    is_head = FAMILIES[family].is_head
    for name, module in list(sim.named_modules()):
        if isinstance(module, torch.nn.Linear) and not is_head(name + ".weight"):
            parent_name, _, child = name.rpartition(".")
            # The weights are quantized from the float32 checkpoint, as bertft reads it.
            original = model.get_submodule(name)
            setattr(sim.get_submodule(parent_name), child,
                    Int8Linear(original, bf16_attention and child in QKV_NAMES))
    return sim


@contextlib.contextmanager
def bf16_probabilities(enabled=True):
    """Rounds softmax's output (the attention probabilities: the models' only softmax) to bf16 while
    active."""
    if not enabled:
        yield
        return
    softmax = F.softmax
    F.softmax = lambda *args, **kwargs: to_bf16(softmax(*args, **kwargs))
    try:
        yield
    finally:
        F.softmax = softmax
