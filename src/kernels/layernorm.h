#pragma once
// LayerNorm over the last dimension (PyTorch nn.LayerNorm: biased variance, eps inside the sqrt).
#include <cstdint>

namespace bertft {

// out[rows, H] = LayerNorm(in[rows, H]) * weight[H] + bias[H]. out may alias in.
void layernorm_forward(float* out, const float* in, const float* weight, const float* bias,
                       int64_t rows, int64_t H, float eps);

// out[rows, H] = LayerNorm(in[rows, H] + residual[rows, H]) * weight + bias: the "Add & Norm" after
// attention and after the feed-forward block. out may alias in or residual.
void residual_layernorm_forward(float* out, const float* in, const float* residual,
                                const float* weight, const float* bias, int64_t rows, int64_t H,
                                float eps);

// Training forms of the kernels above: also keep what the backward pass needs, mean[rows] and
// rstd[rows] (1 / sqrt(var + eps)) of each row's LayerNorm input.
void layernorm_forward_train(float* out, float* mean, float* rstd, const float* in, const float* weight,
                             const float* bias, int64_t rows, int64_t H, float eps);
// sum[rows, H] = in + residual (the LayerNorm input, kept), out = LayerNorm(sum) * weight + bias.
// out must not alias sum; it may alias in or residual.
void residual_layernorm_forward_train(float* out, float* sum, float* mean, float* rstd, const float* in,
                                      const float* residual, const float* weight, const float* bias,
                                      int64_t rows, int64_t H, float eps);

// Backward of LayerNorm given its input in[rows, H] and the saved mean/rstd:
//   din[rows, H] = dLoss/din (overwritten; may alias dout),
//   dweight[H] += sum_rows dout * xhat,  dbias[H] += sum_rows dout   (xhat = (in - mean) * rstd).
void layernorm_backward(float* din, float* dweight, float* dbias, const float* dout, const float* in,
                        const float* weight, const float* mean, const float* rstd, int64_t rows, int64_t H);
// Backward of residual_layernorm_forward_train (sum = in + residual is the saved LayerNorm input):
// din and dresidual are both overwritten with dLoss/dsum (dresidual may be nullptr).
void residual_layernorm_backward(float* din, float* dresidual, float* dweight, float* dbias,
                                 const float* dout, const float* sum, const float* weight,
                                 const float* mean, const float* rstd, int64_t rows, int64_t H);

// Normalises one row in place (the shared core of the kernels above and of embeddings_forward).
void layernorm_row(float* row, const float* weight, const float* bias, int64_t H, float eps);
// The same, also returning the row's mean and rstd.
void layernorm_row_stats(float* row, const float* weight, const float* bias, int64_t H, float eps,
                         float* mean_out, float* rstd_out);

}  // namespace bertft
