// TorchCheckpoint and its unpickler on hand-made torch.save files: the zip and legacy layouts, views,
// and malformed or malicious input, each refused with one line. (tests/integration/test_torch_bin reads
// what torch.save itself writes.)
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common/float_convert.h"
#include "model/torch_checkpoint.h"
#include "temp_files.h"
#include "test_util.h"

namespace bertft {
namespace {

using test::one_line_error;

std::string le(uint64_t value, size_t bytes) {
  std::string out;
  for (size_t i = 0; i < bytes; i++) out += static_cast<char>(value >> (8 * i));
  return out;
}

// Pickle opcodes (protocol 2), spelled out.
std::string str(const std::string& s) { return "X" + le(s.size(), 4) + s; }
std::string global(const std::string& module, const std::string& name) { return "c" + module + "\n" + name + "\n"; }
// BININT up to 2^31, LONG1 beyond.
std::string integer(uint64_t value) { return value < (1u << 31) ? "J" + le(value, 4) : "\x8a\x08" + le(value, 8); }
std::string shape_tuple(const std::vector<uint64_t>& dims) {
  std::string out = "(";
  for (uint64_t d : dims) out += integer(d);
  return out + "t";
}
const std::string kProto = "\x80\x02";
const std::string kOrderedDict = global("collections", "OrderedDict") + ")R";

struct TensorSpec {
  std::string name;
  std::string key;  // of the storage
  std::string storage_type = "FloatStorage";
  uint64_t storage_numel = 0;
  uint64_t offset = 0;
  std::vector<uint64_t> shape, strides;
  std::string legacy_view = "N";  // the legacy persistent id's view_metadata: None or (key, offset, size)
};

// The pickle of an OrderedDict state dict of `tensors`, as torch.save writes it; `legacy` persistent ids
// have the sixth field, view_metadata (None).
std::string state_dict_pickle(const std::vector<TensorSpec>& tensors, bool legacy) {
  std::string p = kProto + kOrderedDict + "(";
  for (const TensorSpec& t : tensors) {
    p += str(t.name) + global("torch._utils", "_rebuild_tensor_v2") + "(";
    p += "(" + str("storage") + global("torch", t.storage_type) + str(t.key) + str("cpu") + integer(t.storage_numel) +
         (legacy ? t.legacy_view : "") + "tQ";
    p += integer(t.offset) + shape_tuple(t.shape) + shape_tuple(t.strides) + "\x89" + kOrderedDict + "tR";
  }
  // OrderedDict state: {'_metadata': {}} applied with BUILD, as torch saves a module's state dict.
  return p + "u}" + str("_metadata") + "}sb.";
}

std::string floats(const std::vector<float>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4);
}

// A zip of `entries` (name, contents), stored uncompressed as torch writes them unless `deflate`.
std::string zip(const std::vector<std::pair<std::string, std::string>>& entries, bool deflate = false) {
  std::vector<char> buffer(1 << 20);
  size_t used = 0;
  struct archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  archive_write_set_options(a, deflate ? "zip:compression=deflate" : "zip:compression=store");
  archive_write_open_memory(a, buffer.data(), buffer.size(), &used);
  test::write_archive_entries(a, entries);
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buffer.data(), used);
}

// The legacy format: magic number, protocol version, system info, the state dict, the storage keys,
// then each storage's element count and bytes.
std::string legacy_file(const std::string& state_dict, const std::vector<std::pair<std::string, std::string>>& storages,
                        size_t element_size = 4) {
  std::string f = kProto + "\x8a\x0a" + std::string("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10) + ".";
  f += kProto + "M" + le(1001, 2) + ".";
  f += kProto + "}(" + str("protocol_version") + "M" + le(1001, 2) + str("little_endian") + "\x88u.";
  f += state_dict;
  f += kProto + "](";
  for (const auto& [key, bytes] : storages) f += str(key);
  f += "e.";
  for (const auto& [key, bytes] : storages) f += le(bytes.size() / element_size, 8) + bytes;
  return f;
}

TorchCheckpoint from_bytes(const std::string& bytes, const std::string& name = "model.bin") {
  return TorchCheckpoint(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), name);
}

std::string load_error(const std::string& bytes) {
  return one_line_error([&] { from_bytes(bytes); });
}

std::vector<float> values(const TorchCheckpoint& checkpoint, size_t index) {
  const TorchTensor& t = checkpoint.tensors().at(index);
  std::vector<float> out(t.numel);
  checkpoint.read_f32(t, out.data());
  return out;
}

// Storage "0": 0..11 as F32. "w" is its first 6 values as [2,3]; "wt" the same values transposed
// ([3,2], strides [1,3]); "row" the second row of the [3,4] matrix it also holds: two views sharing it.
const std::vector<float> kStorage = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
const std::vector<TensorSpec> kViews = {
    {"w", "0", "FloatStorage", 12, 0, {2, 3}, {3, 1}},
    {"wt", "0", "FloatStorage", 12, 0, {3, 2}, {1, 3}},
    {"row", "0", "FloatStorage", 12, 4, {4}, {1}},
};

void expect_views(const TorchCheckpoint& checkpoint) {
  ASSERT_EQ(checkpoint.tensors().size(), 3u);
  EXPECT_EQ(checkpoint.tensors()[1].name, "wt");
  EXPECT_EQ(checkpoint.tensors()[1].shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(checkpoint.tensors()[1].dtype, "F32");
  EXPECT_EQ(values(checkpoint, 0), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(values(checkpoint, 1), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(values(checkpoint, 2), (std::vector<float>{4, 5, 6, 7}));
}

std::string views_zip(const std::string& prefix = "archive", bool deflate = false) {
  return zip({{prefix + "/data.pkl", state_dict_pickle(kViews, false)},
              {prefix + "/byteorder", "little"},
              {prefix + "/data/0", floats(kStorage)},
              {prefix + "/version", "3\n"}},
             deflate);
}

TEST(TorchCheckpoint, ZipViewsAndSharedStorage) {
  expect_views(from_bytes(views_zip()));
  expect_views(from_bytes(views_zip("pytorch_model")));
  expect_views(from_bytes(views_zip("archive", /*deflate=*/true)));  // torch never compresses; still read
}

TEST(TorchCheckpoint, LegacyViewsAndSharedStorage) {
  expect_views(from_bytes(legacy_file(state_dict_pickle(kViews, true), {{"0", floats(kStorage)}})));
}

TEST(TorchCheckpoint, LegacyStorageViews) {
  // Older torch named a slice of a storage in the persistent id: elements [4, 10) of storage "0" here.
  TensorSpec sliced{"w", "0", "FloatStorage", 12, 1, {2, 2}, {3, 1}};
  sliced.legacy_view = "(" + str("view") + integer(4) + integer(6) + "t";
  const TorchCheckpoint checkpoint = from_bytes(legacy_file(state_dict_pickle({sliced}, true), {{"0", floats(kStorage)}}));
  EXPECT_EQ(values(checkpoint, 0), (std::vector<float>{5, 6, 8, 9}));
  // A view within the slice but past the end of it.
  sliced.offset = 2;
  EXPECT_ERROR(from_bytes(legacy_file(state_dict_pickle({sliced}, true), {{"0", floats(kStorage)}})),
               "tensor 'w': storage out of range: shape [2,2] with strides [3,1] from offset 2 reaches element 6 of "
               "its slice of storage '0' (6 elements from 4)");
  sliced.legacy_view = "(" + str("view") + integer(8) + integer(6) + "t";
  EXPECT_ERROR(from_bytes(legacy_file(state_dict_pickle({sliced}, true), {{"0", floats(kStorage)}})),
               "storage '0': storage out of range: a view of 6 elements at offset 8, the storage holds 12");
}

class TorchCheckpointFile : public test::TempFilesTest {};

TEST_F(TorchCheckpointFile, ReadsFromAFile) {
  const std::string path = write("pytorch_model.bin", views_zip());
  const TorchCheckpoint checkpoint(path);
  EXPECT_EQ(checkpoint.path(), path);
  expect_views(checkpoint);
  const std::string legacy = write("legacy.bin", legacy_file(state_dict_pickle(kViews, true), {{"0", floats(kStorage)}}));
  expect_views(TorchCheckpoint(legacy));
  EXPECT_EQ(one_line_error([&] { TorchCheckpoint(write("empty.bin", "")); }), dir_.string() + "/empty.bin: empty file, not a PyTorch checkpoint");
}

TEST(TorchCheckpoint, HalfPrecisionAndIntegerTensors) {
  const uint16_t half[] = {f32_to_f16(1.5f), f32_to_f16(-2.0f)};
  const std::string storage(reinterpret_cast<const char*>(half), sizeof half);
  const std::string ids = le(7, 8) + le(9, 8);
  const std::vector<TensorSpec> tensors = {{"h", "0", "HalfStorage", 2, 0, {2}, {1}},
                                           {"ids", "1", "LongStorage", 2, 0, {1, 2}, {2, 1}}};
  const TorchCheckpoint checkpoint = from_bytes(
      zip({{"a/data.pkl", state_dict_pickle(tensors, false)}, {"a/data/0", storage}, {"a/data/1", ids}}));
  EXPECT_EQ(checkpoint.tensors()[0].dtype, "F16");
  EXPECT_EQ(values(checkpoint, 0), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(checkpoint.tensors()[1].dtype, "I64");
  std::vector<float> out(2);
  EXPECT_NE(one_line_error([&] { checkpoint.read_f32(checkpoint.tensors()[1], out.data()); })
                .find("model.bin: unsupported dtype I64 for tensor 'ids'"),
            std::string::npos);
}

TEST(TorchCheckpoint, EmptyAndForeignFilesAreRefused) {
  EXPECT_EQ(load_error(""), "model.bin: empty file, not a PyTorch checkpoint");
  EXPECT_NE(load_error("PK").find("model.bin: cannot read as a zip archive"), std::string::npos);
  EXPECT_NE(load_error("{\"a\": 1}").find("not a PyTorch checkpoint"), std::string::npos);
  std::string tar(512, '\0');
  tar.replace(257, 5, "ustar");
  EXPECT_NE(load_error(tar).find("before PyTorch 0.4"), std::string::npos);
  EXPECT_NE(load_error(zip({{"archive/other", "x"}})).find("without a data.pkl"), std::string::npos);
}

TEST(TorchCheckpoint, ZipEntriesThatDisagreeWithTheCentralDirectory) {
  // data.pkl's local header claims 225 bytes. libarchive's message for that ends in a newline, which
  // must not reach ours (found by fuzz_torch_checkpoint).
  std::string zipped = views_zip();
  ASSERT_EQ(zipped.compare(0, 4, "PK\x03\x04"), 0);
  zipped.replace(18, 4, le(225, 4));
  EXPECT_ERROR(from_bytes(zipped), "cannot read zip entry 'archive/data.pkl': ZIP");
}

TEST(TorchCheckpoint, WrongMagicNumber) {
  std::string file = legacy_file(state_dict_pickle(kViews, true), {{"0", floats(kStorage)}});
  file[6] = '\x6d';
  EXPECT_EQ(load_error(file), "model.bin: not a torch.save file: its first pickle is not torch's magic number");
  EXPECT_EQ(load_error(kProto + "K\x05."), "model.bin: not a torch.save file: its first pickle is not torch's magic number");
}

TEST(TorchCheckpoint, TruncatedFiles) {
  const std::string legacy = legacy_file(state_dict_pickle(kViews, true), {{"0", floats(kStorage)}});
  // Cut anywhere, the legacy file is refused, and the places that matter say "truncated".
  for (size_t cut = 1; cut < legacy.size(); cut++) one_line_error([&] { from_bytes(legacy.substr(0, cut)); });
  EXPECT_NE(load_error(legacy.substr(0, legacy.size() - 1)).find("truncated: storage '0' needs 48 bytes"),
            std::string::npos);
  EXPECT_NE(load_error(legacy.substr(0, 40)).find("truncated"), std::string::npos);
  const std::string zipped = views_zip();
  for (size_t cut = 1; cut < zipped.size(); cut += 7) one_line_error([&] { from_bytes(zipped.substr(0, cut)); });
}

TEST(TorchCheckpoint, HugeStorageSize) {
  std::vector<TensorSpec> tensors = kViews;
  for (TensorSpec& t : tensors) t.storage_numel = 0x40000000u;
  EXPECT_NE(load_error(legacy_file(state_dict_pickle(tensors, true), {{"0", floats(kStorage)}}))
                .find("storage '0': huge storage size (1073741824 elements of F32"),
            std::string::npos);
  EXPECT_NE(load_error(zip({{"archive/data.pkl", state_dict_pickle(tensors, false)}, {"archive/data/0", floats(kStorage)}}))
                .find("storage '0': huge storage size"),
            std::string::npos);
}

TEST(TorchCheckpoint, StorageOutOfRange) {
  // A [2,3] view from offset 7 of a 12-element storage reaches element 12.
  std::vector<TensorSpec> tensors = {{"w", "0", "FloatStorage", 12, 7, {2, 3}, {3, 1}}};
  EXPECT_NE(load_error(zip({{"archive/data.pkl", state_dict_pickle(tensors, false)}, {"archive/data/0", floats(kStorage)}}))
                .find("tensor 'w': storage out of range: shape [2,3] with strides [3,1] from offset 7 reaches "
                      "element 12 of storage '0' (12 elements)"),
            std::string::npos);
  // Strides whose reach overflows 64 bits.
  const uint64_t huge = uint64_t{1} << 62;
  const std::vector<float> storage64(64, 1.0f);
  tensors = {{"w", "0", "FloatStorage", 64, 0, {2, 2, 2, 2, 2}, {huge, huge, huge, huge, huge}}};
  EXPECT_NE(load_error(legacy_file(state_dict_pickle(tensors, true), {{"0", floats(storage64)}})).find("reaches past 2^64"),
            std::string::npos);
  // Without elements a view reaches nothing.
  tensors = {{"w", "0", "FloatStorage", 12, 1000, {huge, 0}, {huge, 1}}};
  EXPECT_EQ(from_bytes(legacy_file(state_dict_pickle(tensors, true), {{"0", floats(kStorage)}})).tensors()[0].numel, 0u);
  // More elements than the storage holds: a broadcast view.
  tensors = {{"w", "0", "FloatStorage", 12, 0, {4, 12}, {0, 1}}};
  EXPECT_NE(load_error(legacy_file(state_dict_pickle(tensors, true), {{"0", floats(kStorage)}})).find("tensor 'w': 48 elements, more than storage '0' (12 elements) holds: a broadcast view"),
            std::string::npos);
}

TEST(TorchCheckpoint, StorageSizesMustMatchThePickle) {
  const std::string pickle = state_dict_pickle(kViews, false);
  EXPECT_EQ(load_error(zip({{"archive/data.pkl", pickle}, {"archive/data/0", floats(kStorage) + "abcd"}})),
            "model.bin: storage '0' (zip entry 'archive/data/0') holds 52 bytes, but the pickle's 12 elements of F32 take 48");
  EXPECT_EQ(load_error(zip({{"archive/data.pkl", pickle}})),
            "model.bin: storage '0' is missing: the archive has no 'archive/data/0'");
  std::string legacy = legacy_file(state_dict_pickle(kViews, true), {{"0", floats(kStorage)}});
  legacy.replace(legacy.size() - 48 - 8, 1, "\x0d");
  EXPECT_NE(load_error(legacy).find("storage '0' at byte"), std::string::npos);
  EXPECT_NE(load_error(legacy).find("holds 13 elements, the state dict says 12"), std::string::npos);
  EXPECT_NE(load_error(zip({{"archive/data.pkl", pickle}, {"archive/byteorder", "big"}})).find("little-endian"),
            std::string::npos);
  // Entry names come from the file: quoted, so that a message stays one line.
  EXPECT_ERROR(from_bytes(zip({{"ev\nil/data.pkl", pickle}, {"ev\nil/data/0", "abc"}})),
               "storage '0' (zip entry 'ev\\nil/data/0') holds 3 bytes");
}

TEST(TorchCheckpoint, MemoIndexOutOfRange) {
  const std::string pickle = kProto + kOrderedDict + std::string("q\0h\x05.", 5);
  EXPECT_EQ(load_error(zip({{"archive/data.pkl", pickle}})),
            "model.bin: data.pkl, byte 31: memo index 5 out of range: nothing was stored there");
}

TEST(TorchCheckpoint, UnknownOpcode) {
  EXPECT_EQ(load_error(zip({{"archive/data.pkl", kProto + "}\xff."}})),
            "model.bin: data.pkl, byte 3: unknown or unsupported opcode 0xff (bertft reads the pickles "
            "torch.save writes, protocols 2 to 5)");
  // INST: Python's protocol 0 way of calling a class, which would also run code.
  EXPECT_NE(load_error(zip({{"archive/data.pkl", kProto + "ios\nsystem\n."}})).find("unknown or unsupported opcode 0x69"),
            std::string::npos);
}

TEST(TorchCheckpoint, ForbiddenGlobals) {
  // os.system("touch pwned"), as pickle's __reduce__ writes it: refused when GLOBAL is read.
  const std::string call = kProto + global("posix", "system") + "(" + str("touch pwned") + "tR.";
  EXPECT_EQ(load_error(zip({{"archive/data.pkl", call}})).rfind("model.bin: data.pkl, byte 2: forbidden "
                                                                "global 'posix.system' (bertft reads only tensors",
                                                                0),
            0u);
  EXPECT_NE(load_error(legacy_file(call, {})).find("the state dict pickle, byte "), std::string::npos);
  EXPECT_NE(load_error(call).find("the magic number pickle, byte 2: forbidden global 'posix.system'"),
            std::string::npos);
  // Protocol 4's STACK_GLOBAL takes the names from the stack.
  const std::string stacked = "\x80\x04" + str("builtins") + str("eval") + "\x93(" + str("1") + "tR.";
  EXPECT_NE(load_error(zip({{"archive/data.pkl", stacked}})).find("forbidden global 'builtins.eval'"),
            std::string::npos);
  // A name with a newline or quote stays on one line.
  EXPECT_NE(load_error(zip({{"archive/data.pkl", "\x80\x04" + str("os") + str("sys'\ntem") + "\x93."}}))
                .find("forbidden global 'os.sys\\'\\ntem'"),
            std::string::npos);
  // Allowed globals are not callable beyond their purpose.
  EXPECT_NE(load_error(zip({{"archive/data.pkl", kProto + global("torch", "FloatStorage") + ")R."}}))
                .find("torch.FloatStorage called"),
            std::string::npos);
}

TEST(TorchCheckpoint, MalformedPickles) {
  auto error = [](const std::string& pickle) { return load_error(zip({{"archive/data.pkl", pickle}})); };
  EXPECT_NE(error(kProto + "0.").find("unknown or unsupported opcode 0x30"), std::string::npos);
  EXPECT_NE(error(kProto + "t.").find("no MARK"), std::string::npos);
  EXPECT_NE(error(kProto + "(}s.").find("stack underflow"), std::string::npos);
  EXPECT_NE(error(kProto + "X\xff\xff\xff\x7f").find("truncated"), std::string::npos);
  EXPECT_NE(error(kProto + "}").find("truncated: the pickle ends before its STOP opcode"), std::string::npos);
  EXPECT_NE(error(kProto + "}}.").find("2 objects on its stack"), std::string::npos);
  EXPECT_NE(error("\x80\x06}.").find("pickle protocol 6"), std::string::npos);
  EXPECT_NE(error(kProto + "].").find("the saved object (a state dict is a dict of tensors) is a list"),
            std::string::npos);
  EXPECT_NE(error(kProto + "}" + str("x") + "(" + str("module") + "tQs.").find("not a storage"), std::string::npos);
  // A tensor name twice.
  const std::vector<TensorSpec> twice = {kViews[0], kViews[0]};
  EXPECT_NE(error(state_dict_pickle(twice, false)).find("tensor 'w' appears twice"), std::string::npos);
}

TEST(TorchCheckpoint, NonTensorEntriesAreSkipped) {
  // {'w': tensor, 'step': 3, 'note': 'x', 'nested': {}} as a plain dict.
  std::string pickle = state_dict_pickle({kViews[0]}, false);
  pickle.replace(pickle.find("u}"), 1, str("step") + "K\x03" + str("note") + str("x") + str("nested") + "}u");
  const TorchCheckpoint checkpoint =
      from_bytes(zip({{"archive/data.pkl", pickle}, {"archive/data/0", floats(kStorage)}}));
  ASSERT_EQ(checkpoint.tensors().size(), 1u);
  EXPECT_EQ(values(checkpoint, 0), (std::vector<float>{0, 1, 2, 3, 4, 5}));
}

}  // namespace
}  // namespace bertft
