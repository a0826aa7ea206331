#!/usr/bin/python3
"""Test/bench-only peer: a BertForSequenceClassification checkpoint (Hugging Face layout) as an ONNX graph
for ONNX Runtime, in fp32 and in int8 as ONNX Runtime's `quantize_dynamic(per_channel=True,
weight_type=QInt8)` rewrites it. Neither torch.onnx's exporter nor ORT's Python quantizer is usable here,
so the graph is written node by node with the onnx package (Debian python3-onnx).

fp32: the node patterns torch.onnx.export (opset 14) emits for transformers' BERT, which are the patterns
ONNX Runtime's own graph optimizer recognises: Gather embeddings, LayerNorm as ReduceMean, Sub, Pow,
ReduceMean, Add eps, Sqrt, Div, Mul, Add (ORT's LayerNormalization fusion), per projection a
MatMul against the transposed weight plus an Add of the bias, Reshape/Transpose into heads, MatMul, Div by
sqrt(head size), Add of the extended mask ((1 - mask) * float32 min), Softmax, MatMul, GELU written as
x * 0.5 * (1 + erf(x / sqrt 2)) (or the tanh form for gelu_new), and the pooler and classifier as Gemm.

int8, what quantize_dynamic does to such a graph:
- every MatMul whose B is an initializer (the encoder's Q, K, V, attention output, FFN in and out):
  DynamicQuantizeLinear(x) -> x_q (uint8), x_scale, x_zero_point; MatMulInteger(x_q, W_q, x_zero_point,
  W_zero_point) with W_q int8 [in, out] quantized per output column, symmetric (range [-127, 127], scale
  max|w| / 127, zero point 0); Cast to float; Mul(Cast, Mul(x_scale, W_scale)); the bias Add stays. One
  DynamicQuantizeLinear serves every MatMul reading the same tensor (Q, K and V share one).
- MatMuls of two activations (attention's two products) stay fp32 (quantize_dynamic's MatMulConstBOnly).
- Gemm (pooler, classifier) is not in its operator list and stays fp32.
- Gather from an embedding table: the table stored uint8 per tensor (asymmetric, range [0, 255] widened
  to include 0), Gather on it, then DequantizeLinear.
What ONNX Runtime 1.30 makes of them with all graph optimizations (the optimized graph ort_run.mjs
--optimized saves; test_onnx_reference checks the int8 part): the decomposed LayerNorm becomes
LayerNormalization, each residual Add + LayerNorm SkipLayerNormalization, QK^T with its Div FusedMatMul,
GELU (with its bias in fp32) BiasGelu / Gelu; in int8 every DynamicQuantizeLinear + MatMulInteger + Cast +
Mul + bias Add becomes DynamicQuantizeMatMul (attention output, FFN in and out) or, behind the one
DynamicQuantizeLinear that Q, K and V share, MatMulIntegerToFloat. Attention is not fused into one node
in either graph: ORT's built-in AttentionFusion matches only exports at opset 12 or older with the -10000
mask of older transformers, and QAttention comes from ORT's offline transformers optimizer, which
quantize_dynamic does not run.

  /usr/bin/python3 tests/reference/onnx_bert.py MODEL_DIR OUT.onnx [--int8]
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 14
GELU_ACTS = ("gelu", "gelu_new", "gelu_pytorch_tanh")


def load_checkpoint(model_dir):
    """config.json and the state dict (model.safetensors or pytorch_model.bin) as float32 numpy arrays."""
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    safetensors = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(safetensors):
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import hf_format
        tensors, _ = hf_format.load_safetensors(safetensors)
    else:
        import torch
        tensors = torch.load(os.path.join(model_dir, "pytorch_model.bin"), map_location="cpu", weights_only=True)
    state = {k: v.float().numpy() for k, v in tensors.items()}
    return config, state


def symmetric_per_column_int8(w):
    """quantize_dynamic's per-channel QInt8 weights for a MatMul B [in, out]: per output column,
    scale = max|w| / 127 (1 where the column is all zero), zero point 0, round half to even."""
    absmax = np.abs(w).max(axis=0)
    scale = np.where(absmax > 0, absmax / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return q, scale


def asymmetric_uint8(table):
    """quantize_dynamic's activation-type (QUInt8) quantization of a Gather's table, per tensor:
    the range widened to include 0, scale = (max - min) / 255, zero point round(-min / scale)."""
    rmin, rmax = min(float(table.min()), 0.0), max(float(table.max()), 0.0)
    scale = np.float32((rmax - rmin) / 255.0 if rmax > rmin else 1.0)
    zero_point = np.uint8(round(-rmin / float(scale)))
    q = np.clip(np.rint(table / scale) + zero_point, 0, 255).astype(np.uint8)
    return q, scale, zero_point


class GraphWriter:
    def __init__(self, int8):
        self.int8 = int8
        self.nodes, self.initializers = [], []
        self.quantized_inputs = {}  # activation name -> (x_q, x_scale, x_zero_point)
        self.counter = 0
        self.value_info = []

    def shaped(self, name, dims):
        """Records name's float shape with the symbolic batch/sequence dims, as the shape inference
        quantize_dynamic runs (and saves) would: ORT's SkipLayerNormalization fusion checks these
        shapes and skips an Add whose shape is unknown."""
        self.value_info.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, dims))
        return name

    def name(self, hint):
        self.counter += 1
        return "%s_%d" % (hint, self.counter)

    def const(self, hint, array):
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, hint=None, outputs=1, **attrs):
        names = [self.name(hint or op) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, names, name=self.name(op + "_node"), **attrs))
        return names[0] if outputs == 1 else names

    def embedding(self, table, ids, hint):
        if not self.int8:
            return self.node("Gather", [self.const(hint, table), ids], hint)
        q, scale, zero_point = asymmetric_uint8(table)
        gathered = self.node("Gather", [self.const(hint + "_quantized", q), ids], hint + "_gathered")
        return self.node("DequantizeLinear", [gathered, self.const(hint + "_scale", scale),
                                              self.const(hint + "_zero_point", zero_point)], hint)

    def linear(self, x, weight, bias, hint):
        """x [B, T, in] @ weight.T + bias, weight [out, in] as in nn.Linear."""
        b = np.ascontiguousarray(weight.T)
        if not self.int8:
            product = self.node("MatMul", [x, self.const(hint + "_weight", b)], hint + "_matmul")
        else:
            if x not in self.quantized_inputs:
                self.quantized_inputs[x] = self.node("DynamicQuantizeLinear", [x], x + "_quantized", outputs=3)
            x_q, x_scale, x_zero_point = self.quantized_inputs[x]
            w_q, w_scale = symmetric_per_column_int8(b)
            integer = self.node("MatMulInteger", [x_q, self.const(hint + "_weight_quantized", w_q), x_zero_point,
                                                  self.const(hint + "_weight_zero_point",
                                                             np.zeros(w_q.shape[1], np.int8))], hint + "_int32")
            as_float = self.node("Cast", [integer], hint + "_cast", to=TensorProto.FLOAT)
            scales = self.node("Mul", [x_scale, self.const(hint + "_weight_scale", w_scale)], hint + "_scales")
            product = self.node("Mul", [as_float, scales], hint + "_matmul")
        out_dims = ["batch", "sequence", weight.shape[0]]
        self.shaped(product, out_dims)
        return self.shaped(self.node("Add", [product, self.const(hint + "_bias", bias)], hint), out_dims)

    def layer_norm(self, x, weight, bias, eps, hint):
        """Decomposed, as the exporter writes nn.LayerNorm below opset 17 (ORT fuses it back)."""
        centred = self.node("Sub", [x, self.node("ReduceMean", [x], axes=[-1])])
        variance = self.node("ReduceMean", [self.node("Pow", [centred, self.const("two", np.float32(2.0))])], axes=[-1])
        std = self.node("Sqrt", [self.node("Add", [variance, self.const(hint + "_eps", np.float32(eps))])])
        normed = self.node("Div", [centred, std])
        return self.shaped(self.node("Add", [self.node("Mul", [normed, self.const(hint + "_gamma", weight)]),
                                             self.const(hint + "_beta", bias)], hint), ["batch", "sequence", len(weight)])

    def gelu(self, x, act):
        if act == "gelu":
            erf = self.node("Erf", [self.node("Div", [x, self.const("sqrt2", np.float32(math.sqrt(2.0)))])])
            one_plus = self.node("Add", [erf, self.const("one", np.float32(1.0))])
            return self.node("Mul", [self.node("Mul", [x, one_plus]), self.const("half", np.float32(0.5))], "gelu")
        # gelu_new / gelu_pytorch_tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = self.node("Pow", [x, self.const("three", np.float32(3.0))])
        inner = self.node("Add", [x, self.node("Mul", [cube, self.const("c", np.float32(0.044715))])])
        tanh = self.node("Tanh", [self.node("Mul", [inner, self.const("k", np.float32(math.sqrt(2.0 / math.pi)))])])
        half_x = self.node("Mul", [self.const("half", np.float32(0.5)), x])
        return self.node("Mul", [half_x, self.node("Add", [self.const("one", np.float32(1.0)), tanh])], "gelu")


def build_model(config, state, int8=False):
    """The ONNX ModelProto of a BertForSequenceClassification state dict (numpy float32 arrays)."""
    if config.get("model_type", "bert") != "bert":
        raise SystemExit("onnx_bert: model_type %r: only BERT is written" % config.get("model_type"))
    act = config.get("hidden_act", "gelu")
    if act not in GELU_ACTS:
        raise SystemExit("onnx_bert: hidden_act %r is not written" % act)
    H, A = config["hidden_size"], config["num_attention_heads"]
    d = H // A
    eps = config.get("layer_norm_eps", 1e-12)
    max_positions = config.get("max_position_embeddings", 512)
    g = GraphWriter(int8)
    p = "bert."

    # Embeddings: word + token type, then + position (positions sliced from a constant arange, as exported).
    seq_len = g.node("Gather", [g.node("Shape", ["input_ids"]), g.const("one_index", np.array([1], np.int64))])
    positions = g.node("Slice", [g.const("position_ids", np.arange(max_positions, dtype=np.int64)[None, :]),
                                 g.const("zero_index", np.array([0], np.int64)), seq_len,
                                 g.const("seq_axis", np.array([1], np.int64))], "positions")
    word = g.embedding(state[p + "embeddings.word_embeddings.weight"], "input_ids", "word_embeddings")
    types = g.embedding(state[p + "embeddings.token_type_embeddings.weight"], "token_type_ids", "token_type_embeddings")
    pos = g.embedding(state[p + "embeddings.position_embeddings.weight"], positions, "position_embeddings")
    hidden = ["batch", "sequence", H]
    for name in (word, types):
        g.shaped(name, hidden)
    g.shaped(pos, [1, "sequence", H])
    x = g.shaped(g.node("Add", [g.shaped(g.node("Add", [word, types]), hidden), pos]), hidden)
    x = g.layer_norm(x, state[p + "embeddings.LayerNorm.weight"], state[p + "embeddings.LayerNorm.bias"], eps,
                     "embeddings_ln")

    # Extended attention mask [B, 1, 1, T]: (1 - mask) * float32 min, as transformers builds it.
    mask = g.node("Cast", [g.node("Unsqueeze", ["attention_mask", g.const("axes12", np.array([1, 2], np.int64))])],
                  to=TensorProto.FLOAT)
    mask = g.node("Mul", [g.node("Sub", [g.const("one", np.float32(1.0)), mask]),
                          g.const("float_min", np.float32(np.finfo(np.float32).min))], "extended_mask")
    heads_shape = g.const("heads_shape", np.array([0, 0, A, d], np.int64))
    merged_shape = g.const("merged_shape", np.array([0, 0, H], np.int64))
    sqrt_head = np.float32(math.sqrt(d))
    for i in range(config["num_hidden_layers"]):
        lp = p + "encoder.layer.%d." % i

        def lin(name, inp, hint):
            return g.linear(inp, state[lp + name + ".weight"], state[lp + name + ".bias"], "l%d_%s" % (i, hint))

        def split(t, perm):
            return g.node("Transpose", [g.node("Reshape", [t, heads_shape])], perm=perm)

        q = split(lin("attention.self.query", x, "query"), [0, 2, 1, 3])
        k = split(lin("attention.self.key", x, "key"), [0, 2, 3, 1])
        v = split(lin("attention.self.value", x, "value"), [0, 2, 1, 3])
        scores = g.node("Div", [g.node("MatMul", [q, k]), g.const("sqrt_head", sqrt_head)])
        probs = g.node("Softmax", [g.node("Add", [scores, mask])], axis=-1)
        context = g.node("Transpose", [g.node("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        context = g.node("Reshape", [context, merged_shape])
        attn = lin("attention.output.dense", context, "attention_output")
        x = g.layer_norm(g.shaped(g.node("Add", [attn, x]), hidden), state[lp + "attention.output.LayerNorm.weight"],
                         state[lp + "attention.output.LayerNorm.bias"], eps, "l%d_attention_ln" % i)
        inter = g.gelu(lin("intermediate.dense", x, "intermediate"), act)
        out = lin("output.dense", inter, "output")
        x = g.layer_norm(g.shaped(g.node("Add", [out, x]), hidden), state[lp + "output.LayerNorm.weight"],
                         state[lp + "output.LayerNorm.bias"], eps, "l%d_output_ln" % i)

    first = g.node("Gather", [x, g.const("cls_index", np.array(0, np.int64))], "cls", axis=1)
    pooled = g.node("Tanh", [g.node("Gemm", [first, g.const("pooler_weight", state[p + "pooler.dense.weight"]),
                                             g.const("pooler_bias", state[p + "pooler.dense.bias"])], transB=1)])
    g.nodes.append(helper.make_node("Gemm", [pooled, g.const("classifier_weight", state["classifier.weight"]),
                                             g.const("classifier_bias", state["classifier.bias"])], ["logits"],
                                    name="classifier", transB=1))

    ids_type = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
                for n in ("input_ids", "attention_mask", "token_type_ids")]
    labels = state["classifier.weight"].shape[0]
    graph = helper.make_graph(g.nodes, "bert_%s" % ("int8" if int8 else "fp32"), ids_type,
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", labels])],
                              g.initializers, value_info=g.value_info)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="bertft-onnx_bert")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir")
    ap.add_argument("output")
    ap.add_argument("--int8", action="store_true", help="quantize_dynamic's int8 graph (default: fp32)")
    args = ap.parse_args()
    try:
        config, state = load_checkpoint(args.model_dir)
        model = build_model(config, state, args.int8)
    except (OSError, ValueError) as e:
        sys.exit("onnx_bert: %s: %s" % (args.model_dir, e))
    except KeyError as e:
        sys.exit("onnx_bert: %s: no tensor or config field %s (a BertForSequenceClassification checkpoint?)"
                 % (args.model_dir, e))
    onnx.save(model, args.output)


if __name__ == "__main__":
    main()
