#pragma once
// The recurrent baselines of `bertft baseline --model lstm|bilstm-attention`: token embeddings, LSTM
// layers (kernels/lstm.h), one vector per text, dropout and a linear classifier.
//   lstm              unidirectional layers; a text is the last layer's hidden state at its last token
//   bilstm-attention  bidirectional layers ([T, 2H] each); a text is the additive-attention pooling of
//                     the last layer's rows (kernels/additive_attention.h)
// Dropout p applies to the embeddings, between LSTM layers (nn.LSTM's dropout) and to the text vector.
// The parameters carry the names and shapes of the PyTorch module this is, so a checkpoint loads into
// it with load_state_dict (tests/reference/torch_recurrent.py):
//   embedding.weight [V, E] (row padding_idx starts zero and gets no gradient)
//   lstm.weight_ih_l{k}[_reverse] [4H, E or D], lstm.weight_hh_l{k}[_reverse] [4H, H],
//   lstm.bias_ih_l{k}[_reverse] [4H], lstm.bias_hh_l{k}[_reverse] [4H]          (nn.LSTM, batch_first)
//   attention.proj.weight [A, D], attention.proj.bias [A], attention.score.weight [1, A]
//   classifier.weight [C, D], classifier.bias [C]                               D = H * directions
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/precision.h"
#include "kernels/lstm.h"

namespace bertft {

enum class RecurrentKind { Lstm, BilstmAttention };

// "lstm" / "bilstm-attention"; throws Error naming `what` otherwise.
RecurrentKind recurrent_kind_from_name(const std::string& name, const std::string& what);
const char* recurrent_kind_name(RecurrentKind kind);

struct RecurrentConfig {
  RecurrentKind kind = RecurrentKind::Lstm;
  int64_t vocab_size = 0, embedding_dim = 128, hidden_size = 128, num_layers = 1, attention_dim = 128,
          num_labels = 2;
  int32_t padding_idx = 0;  // the token filling a text's row after its length
  int64_t directions() const { return kind == RecurrentKind::Lstm ? 1 : 2; }
  int64_t output_dim() const { return hidden_size * directions(); }
};

struct RecurrentTensor {
  std::string name;
  std::vector<int64_t> shape;
  size_t offset = 0, numel = 0;
  bool decayed = true;  // AdamW's weight decay: not on biases (as HF Trainer decides)
};

// The tensors of a model of `config`, in the order of the flat parameter array.
std::vector<RecurrentTensor> recurrent_tensors(const RecurrentConfig& config);

// The config whose tensors are exactly `shapes` (name -> shape, e.g. a checkpoint's), the kind told
// by whether attention tensors are there. Throws Error("where: ...") naming a missing, unexpected or
// misshapen tensor.
RecurrentConfig recurrent_config_from_shapes(const std::map<std::string, std::vector<int64_t>>& shapes,
                                             const std::string& where);

class RecurrentClassifier {
 public:
  explicit RecurrentClassifier(const RecurrentConfig& config);  // zero parameters and gradients
  // A checkpoint save() wrote, or PyTorch's state_dict of the same module in safetensors: the config
  // comes from its tensors' shapes (padding_idx, which they do not tell, from the caller). Throws
  // Error("path: ...") for anything else.
  static RecurrentClassifier load(const std::string& path, int32_t padding_idx);
  // The parameters as fp32 safetensors under their PyTorch names, written atomically.
  void save(const std::string& path) const;

  const RecurrentConfig& config() const { return config_; }
  const std::vector<RecurrentTensor>& tensors() const { return tensors_; }
  std::vector<float>& params() { return params_; }
  const std::vector<float>& params() const { return params_; }
  std::vector<float>& grads() { return grads_; }
  float* tensor(const std::string& name);  // throws std::logic_error for a name it does not have

  // PyTorch's default initialisation of each module: embedding N(0, 1) with row padding_idx zero, LSTM and
  // Linear weights and biases U(-1/sqrt(fan), 1/sqrt(fan)) with fan = H for the LSTM and in_features
  // for a Linear.
  void init(uint64_t seed);

  // Fp32 (the default) or Bf16: the LSTM layers' products with their inputs in bf16 mixed precision
  // (kernels/lstm.h); everything else, the recurrence included, stays fp32.
  void set_precision(Precision precision) { precision_ = precision; }
  Precision precision() const { return precision_; }

  // logits()[B, C] of the texts tokens[B, T] (padding_idx after a text's lengths[b] tokens; lengths
  // in [1, T]), with dropout p (0 in evaluation) whose masks come from seed.
  void forward(const int32_t* tokens, const int32_t* lengths, int64_t B, int64_t T, float p, uint64_t seed);
  const float* logits() const { return logits_.data(); }
  // Backward of the last forward given dlogits[B, C]: ACCUMULATES into grads().
  void backward(const float* dlogits, float p, uint64_t seed);

 private:
  struct Layer {
    const RecurrentTensor* w_ih[2];
    const RecurrentTensor* w_hh[2];
    const RecurrentTensor* b_ih[2];
    const RecurrentTensor* b_hh[2];
    std::vector<float> gates[2], cell[2], h_prev[2];  // LstmCache per direction
    std::vector<float> out, dropped;                  // [B, T, D]; dropped: the next layer's input
    std::vector<bf16> input_bf16, w_ih_bf16[2];       // bf16: the layer's input [B, T, I] and w_ih, rounded
  };
  void resize(int64_t B, int64_t T);
  const float* layer_input(size_t l) const;
  const RecurrentTensor& find(const std::string& name) const;

  RecurrentConfig config_;
  Precision precision_ = Precision::Fp32;
  std::vector<RecurrentTensor> tensors_;
  std::vector<float> params_, grads_;
  std::vector<Layer> layers_;
  const int32_t* tokens_ = nullptr;
  const int32_t* lengths_ = nullptr;
  int64_t B_ = 0, T_ = 0;
  std::vector<float> embedded_, embedded_dropped_;             // [B, T, E]
  std::vector<float> alpha_, attention_u_;                    // [B, T], [B, T, A]
  std::vector<float> features_, features_dropped_, logits_;  // [B, D], [B, D], [B, C]
  // backward scratch
  std::vector<float> d_features_, d_out_, d_in_, d_gates_, d_u_, d_score_;
  std::vector<bf16> d_bf16_;  // lstm_backward's bf16 scratch
};

}  // namespace bertft
