#include "model/torch_checkpoint.h"

#include <archive.h>
#include <archive_entry.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <set>
#include <string_view>

#include "common/archive_message.h"
#include "common/error.h"
#include "common/json_input.h"
#include "model/pickle.h"
#include "model/safetensors.h"

namespace bertft {

static_assert(std::endian::native == std::endian::little, "torch.save's storages are read as they are stored");

namespace {

// torch.save's legacy format starts with a pickle of this number, 0x1950a86a20f9469cfc6c, little-endian.
constexpr std::string_view kLegacyMagic("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10);
constexpr int64_t kLegacyProtocolVersion = 1001;
// torch's storage keys are short numbers ("0", "94310627532416"); the bound keeps every lookup of one
// cheap, however often a pickle repeats a memoized key.
constexpr size_t kMaxStorageKey = 100;

// What a persistent id stands for: a whole storage or, in the legacy format, a slice of one.
struct StorageView {
  size_t storage = 0;
  uint64_t begin = 0;  // in elements
  uint64_t size = 0;
};

// The storages a state dict's persistent ids name, and its tensors as views of them.
class StateDictReader {
 public:
  StateDictReader(const std::string& path, size_t file_size, bool legacy,
                  std::vector<TorchCheckpoint::Storage>& storages)
      : path_(path), file_size_(file_size), legacy_(legacy), storages_(storages) {}

  Unpickler::PersistentLoad persistent_load() {
    return [this](const Unpickler& pickle, const PickleValue& id) { return storage_view(pickle, id); };
  }

  TorchCheckpoint::Storage* find(const std::string& key) {
    auto found = by_key_.find(key);
    return found == by_key_.end() ? nullptr : &storages_[found->second];
  }

  std::vector<TorchTensor> tensors(const Unpickler& pickle, const PickleValue& state_dict) const {
    std::vector<TorchTensor> tensors;
    std::set<std::string_view> names;
    for (const auto& [key, value] : pickle.dict(state_dict, "the saved object (a state dict is a dict of tensors)")) {
      // A state dict's other entries (extra state, version numbers) hold no weights; its _metadata is
      // BUILD state, not an entry.
      if (value.kind != PickleValue::Kind::Tensor) continue;
      const std::string& name = pickle.string(key, "the name of a tensor");
      if (!names.insert(name).second) fail_file(path_, "tensor " + single_quoted(name) + " appears twice in the state dict");
      tensors.push_back(tensor(name, pickle.tensor(value, "tensor " + single_quoted(name))));
    }
    return tensors;
  }

 private:
  int64_t storage_view(const Unpickler& pickle, const PickleValue& id) {
    const std::vector<PickleValue>& fields = pickle.tuple(id, "a persistent id");
    if (fields.empty() || pickle.string(fields[0], "a persistent id's type") != "storage")
      pickle.fail("a persistent id that is not a storage");
    const size_t expected = legacy_ ? 6 : 5;
    if (fields.size() != expected)
      pickle.fail("a storage's persistent id of " + std::to_string(fields.size()) + " fields, expected " +
                  std::to_string(expected));
    const PickleGlobal type = pickle.global(fields[1], "a storage's type");
    if (!storage_dtype(type)) pickle.fail(pickle_global_name(type) + " where a storage type belongs");
    const std::string& key = pickle.string(fields[2], "a storage's key");
    if (key.size() > kMaxStorageKey)
      pickle.fail("a storage key of " + std::to_string(key.size()) + " bytes (torch's are short numbers)");
    pickle.string(fields[3], "storage " + single_quoted(key) + "'s location");  // "cpu", "cuda:0": all read alike
    const int64_t numel = pickle.integer(fields[4], "storage " + single_quoted(key) + "'s size");
    const size_t element_size = storage_element_size(type);
    uint64_t bytes = 0;
    if (numel < 0 || __builtin_mul_overflow(static_cast<uint64_t>(numel), element_size, &bytes) || bytes > file_size_)
      pickle.fail("storage " + single_quoted(key) + ": huge storage size (" + std::to_string(numel) + " elements of " +
                  storage_dtype(type) + ", more than the whole " + std::to_string(file_size_) + "-byte file holds)");
    auto [at, added] = by_key_.emplace(key, storages_.size());
    if (added) {
      storages_.push_back({key, storage_dtype(type), element_size, static_cast<uint64_t>(numel)});
    } else {
      const TorchCheckpoint::Storage& known = storages_[at->second];
      if (known.dtype != storage_dtype(type) || known.numel != static_cast<uint64_t>(numel))
        pickle.fail("storage " + single_quoted(key) + " is both " + std::to_string(known.numel) + " elements of " +
                    known.dtype + " and " + std::to_string(numel) + " of " + storage_dtype(type));
    }
    StorageView view{at->second, 0, static_cast<uint64_t>(numel)};
    // Legacy files of torch < 1.x could name a slice of a storage: (view key, offset, size).
    if (legacy_ && fields[5].kind != PickleValue::Kind::None) {
      const std::vector<PickleValue>& slice = pickle.tuple(fields[5], "storage " + single_quoted(key) + "'s view");
      if (slice.size() != 3) pickle.fail("storage " + single_quoted(key) + "'s view is not (key, offset, size)");
      pickle.string(slice[0], "storage " + single_quoted(key) + "'s view key");
      const int64_t begin = pickle.integer(slice[1], "storage " + single_quoted(key) + "'s view offset");
      const int64_t size = pickle.integer(slice[2], "storage " + single_quoted(key) + "'s view size");
      if (begin < 0 || size < 0 || begin > numel || size > numel - begin)
        pickle.fail("storage " + single_quoted(key) + ": storage out of range: a view of " + std::to_string(size) +
                    " elements at offset " + std::to_string(begin) + ", the storage holds " + std::to_string(numel));
      view.begin = static_cast<uint64_t>(begin);
      view.size = static_cast<uint64_t>(size);
    }
    views_.push_back(view);
    return static_cast<int64_t>(views_.size() - 1);
  }

  // Checks that every element the view reaches lies in its storage, so read_f32 needs no checks.
  TorchTensor tensor(const std::string& name, const PickledTensor& pickled) const {
    const StorageView& view = views_[static_cast<size_t>(pickled.storage)];
    const TorchCheckpoint::Storage& storage = storages_[view.storage];
    auto fail = [&](const std::string& problem) { fail_file(path_, "tensor " + single_quoted(name) + ": " + problem); };
    uint64_t numel = 1;
    for (int64_t d : pickled.shape)
      if (__builtin_mul_overflow(numel, static_cast<uint64_t>(d), &numel))
        fail("shape " + shape_string(pickled.shape) + " is too large");
    const std::string viewed =
        view.begin == 0 && view.size == storage.numel
            ? "storage " + single_quoted(storage.key) + " (" + std::to_string(view.size) + " elements)"
            : "its slice of storage " + single_quoted(storage.key) + " (" + std::to_string(view.size) +
                  " elements from " + std::to_string(view.begin) + ")";
    // Also bounds the memory a reader allocates for it by the file's size.
    if (numel > view.size)
      fail(std::to_string(numel) + " elements, more than " + viewed + " holds: a broadcast view, which bertft does not read");
    if (numel > 0) {
      uint64_t last = static_cast<uint64_t>(pickled.storage_offset);
      bool overflow = false;
      for (size_t i = 0; i < pickled.shape.size(); i++) {
        uint64_t step = 0;
        overflow |= __builtin_mul_overflow(static_cast<uint64_t>(pickled.shape[i] - 1),
                                           static_cast<uint64_t>(pickled.strides[i]), &step) ||
                    __builtin_add_overflow(last, step, &last);
      }
      if (overflow || last >= view.size)
        fail("storage out of range: shape " + shape_string(pickled.shape) + " with strides " +
             shape_string(pickled.strides) + " from offset " + std::to_string(pickled.storage_offset) +
             (overflow ? " reaches past 2^64" : " reaches element " + std::to_string(last)) + " of " + viewed);
    }
    TorchTensor t;
    t.name = name;
    t.dtype = storage.dtype;
    t.shape = pickled.shape;
    t.numel = static_cast<size_t>(numel);
    t.storage = view.storage;
    t.offset = static_cast<size_t>(view.begin + (numel > 0 ? static_cast<uint64_t>(pickled.storage_offset) : 0));
    t.strides = pickled.strides;
    return t;
  }

  const std::string& path_;
  size_t file_size_;
  bool legacy_;
  std::vector<TorchCheckpoint::Storage>& storages_;
  std::map<std::string, size_t> by_key_;
  std::vector<StorageView> views_;  // indexed by the handles persistent_load returns
};

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

// One pass over the regular files of a zip archive held in memory. libarchive's seekable zip reader
// takes the entries from the central directory, as torch's own reader does.
class ZipPass {
 public:
  ZipPass(const unsigned char* bytes, size_t size, const std::string& path)
      : bytes_(bytes), size_(size), path_(path), archive_(archive_read_new()) {
    if (!archive_) fail_file(path_, "cannot allocate a zip reader");
    archive_read_support_format_zip_seekable(archive_.get());
    if (archive_read_open_memory(archive_.get(), bytes, size) != ARCHIVE_OK) fail("cannot read as a zip archive");
  }

  // The next regular file's name and size; false after the last.
  bool next(std::string& name, uint64_t& size) {
    while (true) {
      struct archive_entry* entry = nullptr;
      const int status = archive_read_next_header(archive_.get(), &entry);
      if (status == ARCHIVE_EOF) return false;
      if (status < ARCHIVE_WARN) fail("cannot read the zip archive");
      if (archive_entry_filetype(entry) != AE_IFREG) continue;
      const char* entry_name = archive_entry_pathname_utf8(entry);
      name = entry_name ? entry_name : "";
      if (!archive_entry_size_is_set(entry) || archive_entry_size(entry) < 0)
        fail_file(path_, "zip entry " + single_quoted(name) + " does not give its size");
      size = static_cast<uint64_t>(archive_entry_size(entry));
      return true;
    }
  }

  // The current entry's `size` bytes. A stored (uncompressed) entry, as torch writes them, comes back
  // as a pointer into the file; anything else is copied into `copy`.
  const unsigned char* read(const std::string& name, uint64_t size, std::unique_ptr<unsigned char[]>& copy) {
    const unsigned char* in_file = bytes_;  // where the bytes so far lie in the file, while they do
    uint64_t got = 0;
    while (true) {
      const void* block = nullptr;
      size_t length = 0;
      la_int64_t offset = 0;
      const int status = archive_read_data_block(archive_.get(), &block, &length, &offset);
      if (status == ARCHIVE_EOF) break;
      if (status != ARCHIVE_OK) fail("cannot read zip entry " + single_quoted(name));
      if (offset < 0 || static_cast<uint64_t>(offset) != got || length > size - got)
        fail_file(path_, "zip entry " + single_quoted(name) + " holds more or other bytes than its declared " +
                             std::to_string(size));
      if (length == 0) continue;  // libarchive ends a stored entry with an empty block at nullptr
      const auto* p = static_cast<const unsigned char*>(block);
      const bool continues_in_file = !copy && within_file(p, length) && (got == 0 || p == in_file + got);
      if (continues_in_file) {
        if (got == 0) in_file = p;
      } else {
        if (!copy) {
          copy = std::make_unique<unsigned char[]>(size);
          if (got) std::memcpy(copy.get(), in_file, got);
        }
        std::memcpy(copy.get() + got, p, length);
      }
      got += length;
    }
    if (got != size)
      fail_file(path_, "zip entry " + single_quoted(name) + " holds " + std::to_string(got) + " bytes, its header says " +
                           std::to_string(size) + " (truncated?)");
    return copy ? copy.get() : in_file;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    fail_file(path_, what + ": " + archive_message(archive_.get()));
  }

  bool within_file(const unsigned char* p, size_t length) const {
    const auto at = reinterpret_cast<uintptr_t>(p), begin = reinterpret_cast<uintptr_t>(bytes_);
    return at >= begin && at - begin <= size_ && length <= size_ - (at - begin);
  }

  const unsigned char* bytes_;
  size_t size_;
  const std::string& path_;
  std::unique_ptr<struct archive, ArchiveFree> archive_;
};

// Splits PREFIX/BASE, a name with exactly one slash; false for any other name.
bool split_member(const std::string& name, std::string& prefix, std::string& base) {
  const size_t slash = name.find('/');
  if (slash == std::string::npos || slash == 0 || name.find('/', slash + 1) != std::string::npos) return false;
  prefix = name.substr(0, slash);
  base = name.substr(slash + 1);
  return true;
}

}  // namespace

TorchCheckpoint::TorchCheckpoint(const std::string& path) : path_(path), file_(std::make_unique<MappedFile>(path)) {
  read(file_->data(), file_->size());
}

TorchCheckpoint::TorchCheckpoint(const unsigned char* bytes, size_t size, std::string path) : path_(std::move(path)) {
  read(bytes, size);
}

TorchCheckpoint::~TorchCheckpoint() = default;
TorchCheckpoint::TorchCheckpoint(TorchCheckpoint&&) noexcept = default;

void TorchCheckpoint::read(const unsigned char* bytes, size_t size) {
  if (size == 0) fail_file(path_, "empty file, not a PyTorch checkpoint");
  if (size >= 2 && bytes[0] == 'P' && bytes[1] == 'K') return read_zip(bytes, size);
  if (bytes[0] == 0x80) return read_legacy(bytes, size);  // a pickle's PROTO opcode
  if (size >= 262 && std::memcmp(bytes + 257, "ustar", 5) == 0)
    fail_file(path_, "a tar archive: torch.save's format before PyTorch 0.4, which bertft does not read (load it "
                     "with torch and save it again)");
  fail_file(path_, "not a PyTorch checkpoint (torch.save writes a zip archive, or pickles in its legacy format)");
}

void TorchCheckpoint::read_zip(const unsigned char* bytes, size_t size) {
  // Entries are read into memory only when not stored as they are; however they claim to be compressed
  // or overlap, all that is read together stays within the file's size.
  uint64_t total = 0;
  auto read_entry = [&](ZipPass& zip, const std::string& name, uint64_t entry_size,
                        std::unique_ptr<unsigned char[]>& copy) {
    if (entry_size > size - total)
      fail_file(path_, "zip entry " + single_quoted(name) + " of " + std::to_string(entry_size) +
                           " bytes takes the entries read past the file's " + std::to_string(size) + " bytes");
    total += entry_size;
    return zip.read(name, entry_size, copy);
  };

  // First pass: the pickle, and what says how to read it.
  std::map<std::string, std::string> pickles, byte_orders;  // by prefix
  std::set<std::string> names;
  {
    ZipPass zip(bytes, size, path_);
    std::string name, prefix, base;
    uint64_t entry_size = 0;
    while (zip.next(name, entry_size)) {
      if (!names.insert(name).second) fail_file(path_, "two zip entries named " + single_quoted(name));
      if (!split_member(name, prefix, base) || (base != "data.pkl" && base != "byteorder")) continue;
      std::unique_ptr<unsigned char[]> copy;
      const unsigned char* contents = read_entry(zip, name, entry_size, copy);
      (base == "data.pkl" ? pickles : byte_orders)[prefix].assign(reinterpret_cast<const char*>(contents), entry_size);
    }
  }
  if (pickles.empty())
    fail_file(path_, "a zip archive without a data.pkl: not a checkpoint torch.save wrote");
  if (pickles.size() > 1)
    fail_file(path_, "a zip archive with two data.pkl files, " + single_quoted(pickles.begin()->first + "/data.pkl") +
                         " and " + single_quoted(std::next(pickles.begin())->first + "/data.pkl"));
  const std::string prefix = pickles.begin()->first;
  if (names.count(prefix + "/constants.pkl"))
    fail_file(path_, "a TorchScript archive (torch.jit.save), not a state dict saved by torch.save");
  auto byte_order = byte_orders.find(prefix);
  if (byte_order != byte_orders.end() && byte_order->second != "little")
    fail_file(path_, "byteorder says " + single_quoted(std::string_view(byte_order->second).substr(0, 16)) +
                         ": bertft reads little-endian checkpoints only");

  const std::string& pickle_bytes = pickles.begin()->second;
  Unpickler pickle(reinterpret_cast<const unsigned char*>(pickle_bytes.data()), pickle_bytes.size(), path_,
                   "data.pkl");
  StateDictReader state(path_, size, /*legacy=*/false, storages_);
  const PickleValue root = pickle.load(state.persistent_load());
  if (pickle.end() != pickle_bytes.size())
    fail_file(path_, "data.pkl: " + std::to_string(pickle_bytes.size() - pickle.end()) +
                         " bytes after the pickle's end");
  tensors_ = state.tensors(pickle, root);

  // Second pass: the storages, each checked against the pickle's size for it before it is read.
  {
    ZipPass zip(bytes, size, path_);
    const std::string data_folder = prefix + "/data/";
    std::string name;
    uint64_t entry_size = 0;
    while (zip.next(name, entry_size)) {
      if (!name.starts_with(data_folder)) continue;
      Storage* storage = state.find(name.substr(data_folder.size()));
      if (!storage) continue;  // no tensor of the state dict uses it
      const uint64_t expected = storage->numel * storage->element_size;
      if (entry_size != expected)
        fail_file(path_, "storage " + single_quoted(storage->key) + " (zip entry " + single_quoted(name) + ") holds " +
                             std::to_string(entry_size) + " bytes, but the pickle's " + std::to_string(storage->numel) +
                             " elements of " + storage->dtype + " take " + std::to_string(expected));
      std::unique_ptr<unsigned char[]> copy;
      storage->bytes = read_entry(zip, name, entry_size, copy);
      if (copy) copies_.push_back(std::move(copy));
    }
  }
  for (const Storage& storage : storages_)
    if (!storage.bytes)
      fail_file(path_, "storage " + single_quoted(storage.key) + " is missing: the archive has no " +
                           single_quoted(prefix + "/data/" + storage.key));
}

void TorchCheckpoint::read_legacy(const unsigned char* bytes, size_t size) {
  size_t pos = 0;
  Unpickler magic(bytes, size, path_, "the magic number pickle");
  if (magic.big_integer(magic.load()) != kLegacyMagic)
    fail_file(path_, "not a torch.save file: its first pickle is not torch's magic number");
  pos += magic.end();

  Unpickler protocol(bytes + pos, size - pos, path_, "the protocol version pickle", pos);
  const int64_t version = protocol.integer(protocol.load(), "the protocol version");
  if (version != kLegacyProtocolVersion)
    fail_file(path_, "torch.save legacy format version " + std::to_string(version) + ", bertft reads version " +
                         std::to_string(kLegacyProtocolVersion));
  pos += protocol.end();

  Unpickler info(bytes + pos, size - pos, path_, "the system info pickle", pos);
  const PickleValue info_value = info.load();
  const PickleValue* little_endian = nullptr;
  for (const auto& [key, value] : info.dict(info_value, "the system info"))
    if (key.kind == PickleValue::Kind::String && info.string(key, "a key") == "little_endian") little_endian = &value;
  if (!little_endian) fail_file(path_, "the system info does not say whether the file is little-endian");
  if (!info.boolean(*little_endian, "little_endian"))
    fail_file(path_, "saved on a big-endian machine: bertft reads little-endian checkpoints only");
  pos += info.end();

  Unpickler pickle(bytes + pos, size - pos, path_, "the state dict pickle", pos);
  StateDictReader state(path_, size, /*legacy=*/true, storages_);
  const PickleValue root = pickle.load(state.persistent_load());
  tensors_ = state.tensors(pickle, root);
  pos += pickle.end();

  Unpickler keys(bytes + pos, size - pos, path_, "the storage keys pickle", pos);
  const PickleValue key_list = keys.load();
  pos += keys.end();
  // Then each storage in the order of the list: its element count (int64) and its bytes.
  for (const PickleValue& key_value : keys.list(key_list, "the storage keys")) {
    const std::string& key = keys.string(key_value, "a storage key");
    Storage* storage = state.find(key);
    if (!storage) fail_file(path_, "storage " + single_quoted(key) + " has data, but the state dict does not name it");
    if (storage->bytes) fail_file(path_, "storage " + single_quoted(key) + " is listed twice");
    if (size - pos < 8)
      fail_file(path_, "truncated: the file ends at byte " + std::to_string(size) + ", before storage " +
                           single_quoted(key));
    uint64_t count = 0;
    std::memcpy(&count, bytes + pos, 8);
    if (count != storage->numel)
      fail_file(path_, "storage " + single_quoted(key) + " at byte " + std::to_string(pos) + " holds " +
                           std::to_string(count) + " elements, the state dict says " + std::to_string(storage->numel));
    pos += 8;
    const uint64_t length = storage->numel * storage->element_size;  // checked against the file size already
    if (length > size - pos)
      fail_file(path_, "truncated: storage " + single_quoted(key) + " needs " + std::to_string(length) +
                           " bytes at byte " + std::to_string(pos) + ", the file ends at byte " + std::to_string(size));
    storage->bytes = bytes + pos;
    pos += length;
  }
  for (const Storage& storage : storages_)
    if (!storage.bytes)
      fail_file(path_, "storage " + single_quoted(storage.key) + " has no data (it is not in the list of storage keys)");
}

void TorchCheckpoint::read_f32(const TorchTensor& tensor, float* out) const {
  require_float_dtype(tensor.dtype, tensor.name, path_);
  if (tensor.numel == 0) return;
  const Storage& storage = storages_[tensor.storage];
  const size_t element = storage.element_size;
  // Row-major strides, except where a dimension of size 1 makes the stride irrelevant.
  bool contiguous = true;
  int64_t expected = 1;
  for (size_t i = tensor.shape.size(); i-- > 0;) {
    if (tensor.shape[i] != 1 && tensor.strides[i] != expected) contiguous = false;
    expected *= tensor.shape[i];
  }
  if (contiguous) {
    convert_to_f32(tensor.dtype, storage.bytes + tensor.offset * element, tensor.numel, out);
    return;
  }
  // A view (a transposed weight, a slice): gather each row of the last dimension, then convert it.
  const size_t dims = tensor.shape.size();
  const size_t row = static_cast<size_t>(tensor.shape.back());
  const size_t row_stride = static_cast<size_t>(tensor.strides.back());
  std::vector<unsigned char> gathered(row * element);
  std::vector<int64_t> index(dims - 1, 0);
  size_t start = tensor.offset;  // of the current row, in elements
  for (size_t r = 0; r < tensor.numel / row; r++) {
    for (size_t k = 0; k < row; k++)
      std::memcpy(gathered.data() + k * element, storage.bytes + (start + k * row_stride) * element, element);
    convert_to_f32(tensor.dtype, gathered.data(), row, out + r * row);
    for (size_t d = dims - 1; d-- > 0;) {  // the next row: an odometer over the leading dimensions
      start += static_cast<size_t>(tensor.strides[d]);
      if (++index[d] < tensor.shape[d]) break;
      start -= static_cast<size_t>(tensor.strides[d] * tensor.shape[d]);
      index[d] = 0;
    }
  }
}

}  // namespace bertft
