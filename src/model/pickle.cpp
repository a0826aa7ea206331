#include "model/pickle.h"

#include <cstdio>
#include <cstring>

#include "common/error.h"
#include "common/json_input.h"

namespace bertft {

namespace {

struct AllowedGlobal {
  const char* module;
  const char* name;
  PickleGlobal global;
  const char* dtype;  // storage classes only
  size_t element_size;
};

// In PickleGlobal's order.
constexpr AllowedGlobal kAllowed[] = {
    {"collections", "OrderedDict", PickleGlobal::OrderedDict, nullptr, 0},
    {"torch._utils", "_rebuild_tensor_v2", PickleGlobal::RebuildTensorV2, nullptr, 0},
    {"torch._utils", "_rebuild_parameter", PickleGlobal::RebuildParameter, nullptr, 0},
    {"torch", "FloatStorage", PickleGlobal::FloatStorage, "F32", 4},
    {"torch", "HalfStorage", PickleGlobal::HalfStorage, "F16", 2},
    {"torch", "BFloat16Storage", PickleGlobal::BFloat16Storage, "BF16", 2},
    {"torch", "DoubleStorage", PickleGlobal::DoubleStorage, "F64", 8},
    {"torch", "LongStorage", PickleGlobal::LongStorage, "I64", 8},
    {"torch", "IntStorage", PickleGlobal::IntStorage, "I32", 4},
    {"torch", "ShortStorage", PickleGlobal::ShortStorage, "I16", 2},
    {"torch", "CharStorage", PickleGlobal::CharStorage, "I8", 1},
    {"torch", "ByteStorage", PickleGlobal::ByteStorage, "U8", 1},
    {"torch", "BoolStorage", PickleGlobal::BoolStorage, "BOOL", 1},
};

constexpr bool allowlist_in_enum_order() {
  for (size_t i = 0; i < std::size(kAllowed); i++)
    if (static_cast<size_t>(kAllowed[i].global) != i) return false;
  return true;
}
static_assert(allowlist_in_enum_order());

const AllowedGlobal& allowed(PickleGlobal global) { return kAllowed[static_cast<size_t>(global)]; }

// torch never saves tensors of more dimensions; the bound keeps each REDUCE's work constant, however
// often a pickle rebuilds a tensor from one memoized shape.
constexpr size_t kMaxDimensions = 64;

// The opcodes read (Python's Lib/pickletools.py documents them all).
enum Opcode : unsigned char {
  kMark = '(',
  kStop = '.',
  kBinFloat = 'G',
  kBinInt = 'J',
  kBinInt1 = 'K',
  kBinInt2 = 'M',
  kNone = 'N',
  kBinPersId = 'Q',
  kReduce = 'R',
  kBinString = 'T',
  kShortBinString = 'U',
  kBinUnicode = 'X',
  kBinBytes = 'B',
  kShortBinBytes = 'C',
  kEmptyList = ']',
  kAppend = 'a',
  kBuild = 'b',
  kGlobal = 'c',
  kDict = 'd',
  kAppends = 'e',
  kBinGet = 'h',
  kLongBinGet = 'j',
  kList = 'l',
  kBinPut = 'q',
  kLongBinPut = 'r',
  kSetItem = 's',
  kTuple = 't',
  kSetItems = 'u',
  kEmptyTuple = ')',
  kEmptyDict = '}',
  kProto = 0x80,
  kTuple1 = 0x85,
  kTuple2 = 0x86,
  kTuple3 = 0x87,
  kNewTrue = 0x88,
  kNewFalse = 0x89,
  kLong1 = 0x8a,
  kShortBinUnicode = 0x8c,
  kBinUnicode8 = 0x8d,
  kBinBytes8 = 0x8e,
  kStackGlobal = 0x93,
  kMemoize = 0x94,
  kFrame = 0x95,
};

}  // namespace

std::string pickle_global_name(PickleGlobal global) {
  return std::string(allowed(global).module) + "." + allowed(global).name;
}

const char* storage_dtype(PickleGlobal global) { return allowed(global).dtype; }
size_t storage_element_size(PickleGlobal global) { return allowed(global).element_size; }

Unpickler::Unpickler(const unsigned char* bytes, size_t size, std::string path, std::string where, size_t base)
    : bytes_(bytes), size_(size), path_(std::move(path)), where_(std::move(where)), base_(base) {}

void Unpickler::fail(const std::string& problem) const {
  // While load() runs, the opcode being run says where the problem is.
  const std::string at = running_ ? ", byte " + std::to_string(base_ + opcode_pos_) : "";
  fail_file(path_, where_ + at + ": " + problem);
}

std::string Unpickler::kind_name(const PickleValue& value) const {
  switch (value.kind) {
    case PickleValue::Kind::None: return "None";
    case PickleValue::Kind::Bool: return "a bool";
    case PickleValue::Kind::Int:
    case PickleValue::Kind::BigInt: return "an integer";
    case PickleValue::Kind::Float: return "a float";
    case PickleValue::Kind::String: return "a string";
    case PickleValue::Kind::Tuple: return "a tuple";
    case PickleValue::Kind::List: return "a list";
    case PickleValue::Kind::Dict: return "a dict";
    case PickleValue::Kind::Global: return pickle_global_name(static_cast<PickleGlobal>(value.number));
    case PickleValue::Kind::Storage: return "a storage";
    case PickleValue::Kind::Tensor: return "a tensor";
  }
  return "an unknown value";
}

const unsigned char* Unpickler::take(size_t n) {
  if (n > size_ - pos_)
    fail("truncated: the opcode needs " + std::to_string(n) + " more bytes, " + std::to_string(size_ - pos_) +
         " are left");
  const unsigned char* at = bytes_ + pos_;
  pos_ += n;
  return at;
}

uint64_t Unpickler::take_uint(size_t n) {
  const unsigned char* p = take(n);
  uint64_t value = 0;
  for (size_t i = 0; i < n; i++) value |= static_cast<uint64_t>(p[i]) << (8 * i);
  return value;
}

std::string_view Unpickler::take_line() {
  const void* newline = std::memchr(bytes_ + pos_, '\n', size_ - pos_);
  if (!newline) fail("truncated: a GLOBAL's module or name has no end of line");
  const size_t length = static_cast<const unsigned char*>(newline) - (bytes_ + pos_);
  std::string_view line(reinterpret_cast<const char*>(bytes_ + pos_), length);
  pos_ += length + 1;
  return line;
}

void Unpickler::take_string(uint64_t length) {
  const unsigned char* p = take(static_cast<size_t>(length));
  strings_.emplace_back(reinterpret_cast<const char*>(p), static_cast<size_t>(length));
  stack_.push_back({PickleValue::Kind::String, static_cast<int64_t>(strings_.size() - 1)});
}

PickleValue Unpickler::pop() {
  // As in Python's unpickler, a MARK starts a new stack: what is below it cannot be popped until a
  // MARK-taking opcode closes it.
  if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("stack underflow (a malformed pickle)");
  PickleValue value = stack_.back();
  stack_.pop_back();
  return value;
}

PickleValue& Unpickler::top() {
  if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("stack underflow (a malformed pickle)");
  return stack_.back();
}

std::vector<PickleValue> Unpickler::pop_to_mark() {
  if (marks_.empty()) fail("no MARK to take the objects from (a malformed pickle)");
  std::vector<PickleValue> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
  stack_.resize(marks_.back());
  marks_.pop_back();
  return items;
}

PickleValue Unpickler::add_sequence(PickleValue::Kind kind, std::vector<PickleValue> items) {
  sequences_.push_back(std::move(items));
  return {kind, static_cast<int64_t>(sequences_.size() - 1)};
}

PickleValue Unpickler::add_dict(Pairs pairs) {
  dicts_.push_back(std::move(pairs));
  return {PickleValue::Kind::Dict, static_cast<int64_t>(dicts_.size() - 1)};
}

void Unpickler::memo_put(uint64_t index) { memo_[index] = top(); }

void Unpickler::memo_get(uint64_t index) {
  auto found = memo_.find(index);
  if (found == memo_.end()) fail("memo index " + std::to_string(index) + " out of range: nothing was stored there");
  stack_.push_back(found->second);
}

void Unpickler::push_global(std::string_view module, std::string_view name) {
  for (const AllowedGlobal& a : kAllowed) {
    if (module == a.module && name == a.name) {
      stack_.push_back({PickleValue::Kind::Global, static_cast<int64_t>(a.global)});
      return;
    }
  }
  fail("forbidden global " + single_quoted(std::string(module) + "." + std::string(name)) +
       " (bertft reads only tensors: a pickle may name collections.OrderedDict, torch._utils._rebuild_tensor_v2 "
       "and _rebuild_parameter and torch's storage types, and no code from the file ever runs)");
}

PickleValue Unpickler::rebuild_tensor(const std::vector<PickleValue>& args) {
  const std::string function = "torch._utils._rebuild_tensor_v2";
  if (args.size() != 6 && args.size() != 7)
    fail(function + " takes (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]), "
                    "got " + std::to_string(args.size()) + " arguments");
  if (args[0].kind != PickleValue::Kind::Storage) fail(function + ": its storage is " + kind_name(args[0]));
  auto dimensions = [&](const PickleValue& value, const std::string& what) {
    if (value.kind != PickleValue::Kind::Tuple) fail(function + ": its " + what + " is " + kind_name(value));
    const std::vector<PickleValue>& items = sequences_[value.number];
    if (items.size() > kMaxDimensions)
      fail(function + ": " + std::to_string(items.size()) + " dimensions, more than " +
           std::to_string(kMaxDimensions));
    std::vector<int64_t> out;
    for (const PickleValue& item : items) {
      if (item.kind != PickleValue::Kind::Int || item.number < 0)
        fail(function + ": its " + what + " holds " + kind_name(item) + " that is not a non-negative integer");
      out.push_back(item.number);
    }
    return out;
  };
  PickledTensor tensor;
  tensor.storage = args[0].number;
  if (args[1].kind != PickleValue::Kind::Int || args[1].number < 0)
    fail(function + ": its storage_offset is " + kind_name(args[1]) + ", not a non-negative integer");
  tensor.storage_offset = args[1].number;
  tensor.shape = dimensions(args[2], "size");
  tensor.strides = dimensions(args[3], "stride");
  if (tensor.strides.size() != tensor.shape.size())
    fail(function + ": " + std::to_string(tensor.shape.size()) + " sizes but " + std::to_string(tensor.strides.size()) +
         " strides");
  if (args[4].kind != PickleValue::Kind::Bool) fail(function + ": its requires_grad is " + kind_name(args[4]));
  // backward_hooks (an empty OrderedDict) and metadata (torch >= 2's tensor flags) play no part in the values.
  tensors_.push_back(std::move(tensor));
  return {PickleValue::Kind::Tensor, static_cast<int64_t>(tensors_.size() - 1)};
}

void Unpickler::reduce() {
  const PickleValue args = pop();
  const PickleValue callable = pop();
  if (callable.kind != PickleValue::Kind::Global) fail("REDUCE calls " + kind_name(callable) + ", not a function");
  if (args.kind != PickleValue::Kind::Tuple) fail("REDUCE's arguments are " + kind_name(args) + ", not a tuple");
  const auto global = static_cast<PickleGlobal>(callable.number);
  const std::vector<PickleValue>& arguments = sequences_[args.number];
  switch (global) {
    case PickleGlobal::OrderedDict:
      // Protocol 2 pickles an OrderedDict as OrderedDict() followed by SETITEMS.
      if (!arguments.empty()) fail("collections.OrderedDict called with arguments");
      stack_.push_back(add_dict({}));
      return;
    case PickleGlobal::RebuildTensorV2:
      stack_.push_back(rebuild_tensor(arguments));
      return;
    case PickleGlobal::RebuildParameter: {
      // A Parameter is its tensor; requires_grad and hooks do not matter for reading values.
      if (arguments.size() != 3 || arguments[0].kind != PickleValue::Kind::Tensor)
        fail("torch._utils._rebuild_parameter takes (tensor, requires_grad, backward_hooks)");
      const PickleValue tensor = arguments[0];
      stack_.push_back(tensor);
      return;
    }
    default:
      fail(pickle_global_name(global) + " called: storage types may only appear in persistent ids");
  }
}

PickleValue Unpickler::load(const PersistentLoad& persistent_load) {
  running_ = true;
  using Kind = PickleValue::Kind;
  while (true) {
    opcode_pos_ = pos_;
    if (pos_ == size_) fail("truncated: the pickle ends before its STOP opcode");
    const unsigned char opcode = *take(1);
    switch (opcode) {
      case kProto: {
        const unsigned protocol = *take(1);
        if (protocol < 2 || protocol > 5)
          fail("pickle protocol " + std::to_string(protocol) + " (bertft reads protocols 2 to 5)");
        break;
      }
      case kFrame: {
        // Frames only group opcodes for buffered reading, but one that claims more than is left marks
        // a truncated file.
        const uint64_t frame = take_uint(8);
        if (frame > size_ - pos_)
          fail("truncated: a frame of " + std::to_string(frame) + " bytes, " + std::to_string(size_ - pos_) +
               " are left");
        break;
      }
      case kStop:
        if (stack_.size() != 1 || !marks_.empty())
          fail("the pickle ends with " + std::to_string(stack_.size()) + " objects on its stack" +
               (marks_.empty() ? "" : " and an open MARK") + ", not 1");
        running_ = false;
        return stack_.back();
      case kMark: marks_.push_back(stack_.size()); break;
      case kNone: stack_.push_back({}); break;
      case kNewTrue: stack_.push_back({Kind::Bool, 1}); break;
      case kNewFalse: stack_.push_back({Kind::Bool, 0}); break;
      case kBinInt: stack_.push_back({Kind::Int, static_cast<int32_t>(take_uint(4))}); break;
      case kBinInt1: stack_.push_back({Kind::Int, static_cast<int64_t>(take_uint(1))}); break;
      case kBinInt2: stack_.push_back({Kind::Int, static_cast<int64_t>(take_uint(2))}); break;
      case kLong1: {
        const size_t length = static_cast<size_t>(take_uint(1));
        if (length > 8) {  // torch's magic number; no tensor size or offset is this large
          const unsigned char* p = take(length);
          strings_.emplace_back(reinterpret_cast<const char*>(p), length);
          stack_.push_back({Kind::BigInt, static_cast<int64_t>(strings_.size() - 1)});
          break;
        }
        uint64_t value = take_uint(length);
        if (length > 0 && length < 8 && (value >> (8 * length - 1)) & 1) value |= ~uint64_t{0} << (8 * length);
        stack_.push_back({Kind::Int, static_cast<int64_t>(value)});
        break;
      }
      case kBinFloat: {
        const unsigned char* p = take(8);  // big-endian
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++) bits = bits << 8 | p[i];
        stack_.push_back({Kind::Float, static_cast<int64_t>(bits)});
        break;
      }
      case kBinString: {
        const int32_t length = static_cast<int32_t>(take_uint(4));
        if (length < 0) fail("a string of negative length " + std::to_string(length));
        take_string(static_cast<uint64_t>(length));
        break;
      }
      case kBinUnicode:
      case kBinBytes: take_string(take_uint(4)); break;
      case kShortBinString:
      case kShortBinBytes:
      case kShortBinUnicode: take_string(take_uint(1)); break;
      case kBinUnicode8:
      case kBinBytes8: take_string(take_uint(8)); break;
      case kEmptyTuple: stack_.push_back(add_sequence(Kind::Tuple, {})); break;
      case kTuple: stack_.push_back(add_sequence(Kind::Tuple, pop_to_mark())); break;
      case kTuple1:
      case kTuple2:
      case kTuple3: {
        std::vector<PickleValue> items(opcode - kTuple1 + 1);
        for (size_t i = items.size(); i-- > 0;) items[i] = pop();
        stack_.push_back(add_sequence(Kind::Tuple, std::move(items)));
        break;
      }
      case kEmptyList: stack_.push_back(add_sequence(Kind::List, {})); break;
      case kList: stack_.push_back(add_sequence(Kind::List, pop_to_mark())); break;
      case kEmptyDict: stack_.push_back(add_dict({})); break;
      case kDict:
      case kSetItems: {
        const std::vector<PickleValue> items = pop_to_mark();
        if (items.size() % 2) fail("an odd number of objects for the keys and values of a dict");
        Pairs pairs;
        for (size_t i = 0; i < items.size(); i += 2) pairs.emplace_back(items[i], items[i + 1]);
        if (opcode == kDict) {
          stack_.push_back(add_dict(std::move(pairs)));
          break;
        }
        const PickleValue target = top();
        if (target.kind != Kind::Dict) fail("SETITEMS on " + kind_name(target) + ", not a dict");
        dicts_[target.number].insert(dicts_[target.number].end(), pairs.begin(), pairs.end());
        break;
      }
      case kSetItem: {
        const PickleValue value = pop();
        const PickleValue key = pop();
        const PickleValue target = top();
        if (target.kind != Kind::Dict) fail("SETITEM on " + kind_name(target) + ", not a dict");
        dicts_[target.number].emplace_back(key, value);
        break;
      }
      case kAppend:
      case kAppends: {
        const std::vector<PickleValue> items = opcode == kAppend ? std::vector<PickleValue>{pop()} : pop_to_mark();
        const PickleValue target = top();
        if (target.kind != Kind::List) fail("APPEND on " + kind_name(target) + ", not a list");
        sequences_[target.number].insert(sequences_[target.number].end(), items.begin(), items.end());
        break;
      }
      case kBinPut: memo_put(take_uint(1)); break;
      case kLongBinPut: memo_put(take_uint(4)); break;
      case kMemoize: memo_put(memo_.size()); break;  // the next index, as Python numbers them
      case kBinGet: memo_get(take_uint(1)); break;
      case kLongBinGet: memo_get(take_uint(4)); break;
      case kGlobal: {
        const std::string_view module = take_line();
        push_global(module, take_line());
        break;
      }
      case kStackGlobal: {
        const PickleValue name = pop();
        const PickleValue module = pop();
        if (module.kind != Kind::String || name.kind != Kind::String)
          fail("STACK_GLOBAL takes two strings, got " + kind_name(module) + " and " + kind_name(name));
        push_global(strings_[module.number], strings_[name.number]);
        break;
      }
      case kReduce: reduce(); break;
      case kBuild: {
        pop();  // the state: an OrderedDict's attributes (_metadata), which the tensors do not need
        const PickleValue target = top();
        if (target.kind != Kind::Dict) fail("BUILD on " + kind_name(target) + " (only an OrderedDict's state is read)");
        break;
      }
      case kBinPersId: {
        const PickleValue id = pop();
        if (!persistent_load) fail("a persistent id, which this pickle cannot hold");
        stack_.push_back({Kind::Storage, persistent_load(*this, id)});
        break;
      }
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", opcode);
        fail(std::string("unknown or unsupported opcode ") + hex +
             " (bertft reads the pickles torch.save writes, protocols 2 to 5)");
      }
    }
  }
}

int64_t Unpickler::integer(const PickleValue& value, const std::string& what) const {
  if (value.kind != PickleValue::Kind::Int) fail(what + " is " + kind_name(value) + ", expected an integer");
  return value.number;
}

bool Unpickler::boolean(const PickleValue& value, const std::string& what) const {
  if (value.kind != PickleValue::Kind::Bool) fail(what + " is " + kind_name(value) + ", expected a bool");
  return value.number != 0;
}

const std::string& Unpickler::string(const PickleValue& value, const std::string& what) const {
  if (value.kind != PickleValue::Kind::String) fail(what + " is " + kind_name(value) + ", expected a string");
  return strings_[value.number];
}

const std::vector<PickleValue>& Unpickler::tuple(const PickleValue& value, const std::string& what) const {
  if (value.kind != PickleValue::Kind::Tuple) fail(what + " is " + kind_name(value) + ", expected a tuple");
  return sequences_[value.number];
}

const std::vector<PickleValue>& Unpickler::list(const PickleValue& value, const std::string& what) const {
  if (value.kind != PickleValue::Kind::List) fail(what + " is " + kind_name(value) + ", expected a list");
  return sequences_[value.number];
}

const std::vector<std::pair<PickleValue, PickleValue>>& Unpickler::dict(const PickleValue& value,
                                                                        const std::string& what) const {
  if (value.kind != PickleValue::Kind::Dict) fail(what + " is " + kind_name(value) + ", expected a dict");
  return dicts_[value.number];
}

PickleGlobal Unpickler::global(const PickleValue& value, const std::string& what) const {
  if (value.kind != PickleValue::Kind::Global) fail(what + " is " + kind_name(value) + ", expected a torch type");
  return static_cast<PickleGlobal>(value.number);
}

const PickledTensor& Unpickler::tensor(const PickleValue& value, const std::string& what) const {
  if (value.kind != PickleValue::Kind::Tensor) fail(what + " is " + kind_name(value) + ", expected a tensor");
  return tensors_[value.number];
}

std::string_view Unpickler::big_integer(const PickleValue& value) const {
  return value.kind == PickleValue::Kind::BigInt ? std::string_view(strings_[value.number]) : std::string_view();
}

}  // namespace bertft
