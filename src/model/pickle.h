#pragma once
// A restricted unpickler for the pickles inside torch.save files (model/torch_checkpoint.h). Python's
// unpickler imports and calls whatever a pickle names, so loading an untrusted pytorch_model.bin with it
// runs the file's code. This one interprets the pickle as data: GLOBAL may only name the few callables
// and classes a state dict needs (see PickleGlobal), anything else is refused the moment it is read,
// and REDUCE applies those callables itself, building plain values. No file ever runs code here.
//
// It reads what torch.save writes with pickle protocols 2 to 5 (2 is torch's default; protocol 4 adds
// FRAME, MEMOIZE, STACK_GLOBAL and short strings, protocol 3 bytes objects): the opcodes building
// None, bools, ints, floats, strings, bytes, tuples, lists and dicts, the memo, persistent ids, GLOBAL
// / STACK_GLOBAL, REDUCE and BUILD. Anything else is an unknown opcode. It never recurses, and every
// opcode adds at most a fixed number of values to the stack, the memo or the object graph, so time and
// memory grow linearly with the input; lengths are checked against the bytes left before anything is
// allocated. Bad input is an Error "PATH: WHERE: problem (at byte N)", one line.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bertft {

// The globals a pickle may name: collections.OrderedDict, torch._utils' tensor rebuilders and torch's
// typed storage classes (which only appear inside persistent ids).
enum class PickleGlobal : uint8_t {
  OrderedDict,
  RebuildTensorV2,
  RebuildParameter,
  FloatStorage,
  HalfStorage,
  BFloat16Storage,
  DoubleStorage,
  LongStorage,
  IntStorage,
  ShortStorage,
  CharStorage,
  ByteStorage,
  BoolStorage,
};

// "torch.FloatStorage", for messages.
std::string pickle_global_name(PickleGlobal global);

// The dtype of a storage class's elements as safetensors spells it ("F32", "BF16", "I64", ...) and its
// size in bytes; nullptr / 0 for the callables.
const char* storage_dtype(PickleGlobal global);
size_t storage_element_size(PickleGlobal global);

// One value on the stack, in the memo or inside a container. Strings, containers and tensors live in
// the unpickler's tables; a value refers to them by index, so a memo lookup copies no data and lists and
// dicts are shared by reference as in Python.
struct PickleValue {
  enum class Kind : uint8_t {
    None,
    Bool,
    Int,
    BigInt,   // an integer of more than 8 bytes (LONG1), kept as its little-endian bytes
    Float,    // the double's bits in `number`
    String,   // str or bytes
    Tuple,
    List,
    Dict,
    Global,   // `number` is the PickleGlobal
    Storage,  // what a persistent id stands for: `number` is the handle persistent_load returned
    Tensor,   // the result of _rebuild_tensor_v2
  };
  Kind kind = Kind::None;
  int64_t number = 0;  // the value (Bool, Int), or its index into the table of its kind
};

// _rebuild_tensor_v2(storage, storage_offset, size, stride, ...): a view of a storage, in elements.
// Its sizes and strides are non-negative; whether it fits its storage is for the caller to check.
struct PickledTensor {
  int64_t storage = 0;  // the persistent_load handle
  int64_t storage_offset = 0;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
};

class Unpickler {
 public:
  // Gives each persistent id (BINPERSID) a storage handle. It reads the id through the unpickler's
  // accessors and calls fail() for ids it does not accept.
  using PersistentLoad = std::function<int64_t(const Unpickler& pickle, const PickleValue& id)>;

  // Reads one pickle from bytes[0, size) (usually it ends before that: see end()). `where` names the
  // pickle in messages, `base` is its offset in the file, for the byte positions messages give.
  Unpickler(const unsigned char* bytes, size_t size, std::string path, std::string where, size_t base = 0);

  // Runs the pickle up to STOP and returns the object it built. Without persistent_load, a persistent
  // id is an error. Call once.
  PickleValue load(const PersistentLoad& persistent_load = nullptr);
  // How many bytes the pickle took, up to and including STOP.
  size_t end() const { return pos_; }

  // Typed access to what load() built: each fails unless `value` has that kind, naming it `what`.
  int64_t integer(const PickleValue& value, const std::string& what) const;
  bool boolean(const PickleValue& value, const std::string& what) const;
  const std::string& string(const PickleValue& value, const std::string& what) const;
  const std::vector<PickleValue>& tuple(const PickleValue& value, const std::string& what) const;
  const std::vector<PickleValue>& list(const PickleValue& value, const std::string& what) const;
  const std::vector<std::pair<PickleValue, PickleValue>>& dict(const PickleValue& value,
                                                               const std::string& what) const;
  PickleGlobal global(const PickleValue& value, const std::string& what) const;
  const PickledTensor& tensor(const PickleValue& value, const std::string& what) const;
  // A BigInt's little-endian two's complement bytes; "" for any other value.
  std::string_view big_integer(const PickleValue& value) const;

  // Throws Error("PATH: WHERE: problem"), "PATH: WHERE, byte N: problem" while load() runs.
  [[noreturn]] void fail(const std::string& problem) const;

 private:
  using Pairs = std::vector<std::pair<PickleValue, PickleValue>>;

  std::string kind_name(const PickleValue& value) const;
  const unsigned char* take(size_t n);
  uint64_t take_uint(size_t n);
  std::string_view take_line();
  void take_string(uint64_t length);
  PickleValue pop();
  std::vector<PickleValue> pop_to_mark();
  PickleValue& top();
  void push_global(std::string_view module, std::string_view name);
  void reduce();
  PickleValue rebuild_tensor(const std::vector<PickleValue>& args);
  PickleValue add_sequence(PickleValue::Kind kind, std::vector<PickleValue> items);
  PickleValue add_dict(Pairs pairs);
  void memo_put(uint64_t index);
  void memo_get(uint64_t index);

  const unsigned char* bytes_;
  size_t size_;
  std::string path_;
  std::string where_;
  size_t base_;
  size_t pos_ = 0;
  size_t opcode_pos_ = 0;  // where the opcode being run starts
  bool running_ = false;

  std::vector<PickleValue> stack_;
  std::vector<size_t> marks_;  // stack sizes at each open MARK
  std::unordered_map<uint64_t, PickleValue> memo_;
  std::vector<std::string> strings_;  // String and BigInt values
  std::vector<std::vector<PickleValue>> sequences_;  // Tuple and List values
  std::vector<Pairs> dicts_;
  std::vector<PickledTensor> tensors_;
};

}  // namespace bertft
