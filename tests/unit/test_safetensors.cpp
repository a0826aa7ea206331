#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/error.h"
#include "common/float_convert.h"
#include "model/safetensors.h"
#include "test_util.h"

namespace bertft {

namespace {

// A file from a raw header text and `data_bytes` zero bytes of data.
std::string raw_file(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + std::string(data_bytes, '\0');
}

SafetensorsReader open(const std::string& bytes) {
  return SafetensorsReader(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), "m.safetensors");
}

std::string error_of(const std::string& bytes) {
  try {
    open(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Every corrupt file must give a one-line message naming the file and containing `expected`.
void expect_corrupt(const std::string& bytes, const std::string& expected) {
  std::string message = error_of(bytes);
  EXPECT_NE(message.find(expected), std::string::npos) << "message: " << message;
  EXPECT_EQ(message.rfind("m.safetensors: ", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

std::string one_tensor(const std::string& info) { return "{\"t\":" + info + "}"; }

}  // namespace

TEST(Safetensors, F32RoundTripIsExactAndLaidOutLikeTheReferenceWriter) {
  std::vector<float> a = {1.5f, -0.0f, std::numeric_limits<float>::infinity(), 1e-40f, 3.14159f, -2e30f};
  std::vector<float> b = {7.0f};
  std::string bytes = serialize_safetensors({{"z.weight", {2, 3}, a.data()}, {"a.bias", {1}, b.data()}}, DType::F32);
  uint64_t header_size;
  std::memcpy(&header_size, bytes.data(), 8);
  EXPECT_EQ(header_size % 8, 0u);
  std::string header = bytes.substr(8, header_size);
  EXPECT_EQ(header.rfind("{\"__metadata__\":{\"format\":\"pt\"},\"a.bias\":{\"dtype\":\"F32\",\"shape\":[1],"
                         "\"data_offsets\":[0,4]},\"z.weight\":",
                         0),
            0u)
      << header;

  SafetensorsReader st = open(bytes);
  EXPECT_EQ(st.metadata().at("format"), "pt");
  ASSERT_EQ(st.entries().size(), 2u);
  EXPECT_EQ(st.entries()[0].name, "a.bias");
  const SafetensorsEntry* z = st.find("z.weight");
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(z->numel, 6u);
  std::vector<float> back(6);
  st.read_f32(*z, back.data());
  for (size_t i = 0; i < a.size(); i++) EXPECT_EQ(std::bit_cast<uint32_t>(back[i]), std::bit_cast<uint32_t>(a[i]));
  EXPECT_EQ(st.find("missing"), nullptr);
}

TEST(Safetensors, F16AndBF16RoundTripThroughTheirRounding) {
  std::vector<float> v = {0.0f, 1.0f, -2.5f, 0.1f, 1e-3f, 65504.0f, 70000.0f, 1e-8f, -3.3e38f};
  for (DType d : {DType::F16, DType::BF16}) {
    std::string bytes = serialize_safetensors({{"x", {static_cast<int64_t>(v.size())}, v.data()}}, d);
    SafetensorsReader st = open(bytes);
    EXPECT_EQ(st.find("x")->dtype, safetensors_dtype_name(d));
    EXPECT_EQ(st.find("x")->end, v.size() * 2);
    std::vector<float> back(v.size());
    st.read_f32(*st.find("x"), back.data());
    for (size_t i = 0; i < v.size(); i++) {
      float want = d == DType::F16 ? f16_to_f32(f32_to_f16(v[i])) : bf16_to_f32(f32_to_bf16(v[i]));
      EXPECT_EQ(std::bit_cast<uint32_t>(back[i]), std::bit_cast<uint32_t>(want)) << i;
      if (std::isfinite(want) && std::fabs(v[i]) > 1e-4f) {
        EXPECT_NEAR(back[i] / v[i], 1.0f, d == DType::F16 ? 1e-3 : 8e-3) << i;
      }
    }
  }
}

TEST(Safetensors, HalfConversionsRoundToNearestEven) {
  // F16: 11 significant bits. Ties go to the even neighbour.
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_f16(1.0f + 0x1p-11f), 0x3c00);          // tie -> even (down)
  EXPECT_EQ(f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3c02);      // tie -> even (up)
  EXPECT_EQ(f32_to_f16(1.0f + 0x1p-11f + 0x1p-20f), 0x3c01);  // above the tie
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65519.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);  // rounds up to infinity
  EXPECT_EQ(f32_to_f16(-1e10f), 0xfc00);
  EXPECT_EQ(f32_to_f16(0x1p-24f), 0x0001);  // smallest subnormal
  EXPECT_EQ(f32_to_f16(0x1p-25f), 0x0000);  // tie -> even zero
  EXPECT_EQ(f32_to_f16(0x1.8p-25f), 0x0001);
  EXPECT_EQ(f32_to_f16(0x1.8p-24f), 0x0002);  // 1.5 ulp: tie -> even
  EXPECT_EQ(f32_to_f16(0x1.ffcp-15f), 0x0400);  // subnormal rounding carries into the smallest normal
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::quiet_NaN()), 0x7e00);
  EXPECT_EQ(f16_to_f32(0x0001), 0x1p-24f);
  EXPECT_EQ(f16_to_f32(0x83ff), -0x3ffp-24f);
  EXPECT_EQ(f16_to_f32(0x7bff), 65504.0f);
  EXPECT_TRUE(std::isinf(f16_to_f32(0xfc00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)));
  for (uint32_t h = 0; h < 0x10000; h++) {  // every finite half survives half -> float -> half
    if ((h & 0x7c00) == 0x7c00) continue;
    EXPECT_EQ(f32_to_f16(f16_to_f32(static_cast<uint16_t>(h))), h);
  }
  // BF16: 8 significant bits.
  EXPECT_EQ(f32_to_bf16(1.0f + 0x1p-8f), 0x3f80);
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * 0x1p-8f), 0x3f82);
  EXPECT_EQ(f32_to_bf16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7f80);
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::quiet_NaN()), 0x7fc0);
  EXPECT_EQ(bf16_to_f32(0xbf80), -1.0f);
}

TEST(Safetensors, ReadsF64AndKeepsOtherDtypesUnconverted) {
  double d[2] = {0.5, -1e300};
  int64_t ids[3] = {0, 1, 2};
  std::string header = R"({"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},)"
                       R"("ids":{"dtype":"I64","shape":[1,3],"data_offsets":[16,40]},)"
                       R"("q":{"dtype":"I8","shape":[],"data_offsets":[40,41]},)"
                       R"("e":{"dtype":"F32","shape":[0,4],"data_offsets":[41,41]}})";
  std::string bytes = raw_file(header, 41);
  std::memcpy(bytes.data() + 8 + header.size(), d, 16);
  std::memcpy(bytes.data() + 8 + header.size() + 16, ids, 24);
  SafetensorsReader st = open(bytes);
  float out[2];
  st.read_f32(*st.find("d"), out);
  EXPECT_EQ(out[0], 0.5f);
  EXPECT_TRUE(std::isinf(out[1]) && out[1] < 0);
  EXPECT_EQ(st.find("q")->numel, 1u);  // a scalar
  EXPECT_EQ(st.find("e")->numel, 0u);
  try {
    st.read_f32(*st.find("ids"), out);
    FAIL() << "I64 converted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "m.safetensors: unsupported dtype I64 for tensor 'ids' (bertft reads F32, F16, BF16 and F64)");
  }
}

TEST(Safetensors, RejectsBrokenFramingAndHeaders) {
  expect_corrupt("", "file is 0 bytes, too short for the 8-byte header length");
  expect_corrupt(std::string("\x10\0\0\0", 4), "too short");
  std::string huge(8, '\0');
  uint64_t n = 100'000'001;
  std::memcpy(huge.data(), &n, 8);
  expect_corrupt(huge + "{}", "header length 100000001 is over the 100000000-byte limit");
  expect_corrupt(raw_file("{}", 0).substr(0, 9), "header length 2 runs past the end of the 9-byte file");
  n = UINT64_MAX;
  std::memcpy(huge.data(), &n, 8);
  expect_corrupt(huge, "is over the");
  expect_corrupt(raw_file("[1,2]", 0), "header is not a JSON object");
  expect_corrupt(raw_file("", 0), "header is not a JSON object");
  expect_corrupt(raw_file("{\"t\":", 0), "header is not valid JSON: parse error at line 1, column 6");
  expect_corrupt(raw_file(std::string("{}\0\0", 4), 0), "header is not valid JSON: NUL byte at line 1, column 3");
  expect_corrupt(raw_file("{\"a\":{},\"a\":{}}", 0), "duplicate key 'a'");
  expect_corrupt(raw_file("{\"__metadata__\":{\"format\":1}}", 0),
                 "'__metadata__' value of 'format' must be a string, got 1");
  expect_corrupt(raw_file("{\"__metadata__\":[]}", 0), "'__metadata__' must be an object of strings");
  // Padding with spaces (as writers do) is fine, and so is a file of no tensors.
  EXPECT_EQ(open(raw_file("{}      ", 0)).entries().size(), 0u);
}

TEST(Safetensors, RejectsMalformedTensorEntries) {
  expect_corrupt(raw_file(one_tensor("5"), 0), "tensor 't': expected an object with dtype, shape, data_offsets, got 5");
  expect_corrupt(raw_file(one_tensor(R"({"shape":[1],"data_offsets":[0,4]})"), 4), "tensor 't': missing 'dtype'");
  expect_corrupt(raw_file(one_tensor(R"({"dtype":4,"shape":[1],"data_offsets":[0,4]})"), 4),
                 "tensor 't': 'dtype' must be a string, got 4");
  expect_corrupt(raw_file(one_tensor(R"({"dtype":"Q4","shape":[1],"data_offsets":[0,4]})"), 4),
                 "tensor 't': unknown dtype 'Q4'");
  expect_corrupt(raw_file(one_tensor(R"({"dtype":"F32","data_offsets":[0,4]})"), 4), "tensor 't': missing 'shape'");
  expect_corrupt(raw_file(one_tensor(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"), 4),
                 "'shape' must be a list of non-negative integers, got [-1]");
  expect_corrupt(raw_file(one_tensor(R"({"dtype":"F32","shape":[1.0],"data_offsets":[0,4]})"), 4),
                 "'shape' must be a list of non-negative integers");
  expect_corrupt(raw_file(one_tensor(R"({"dtype":"F32","shape":"1","data_offsets":[0,4]})"), 4),
                 "'shape' must be a list of non-negative integers");
  expect_corrupt(raw_file(one_tensor(R"({"dtype":"F32","shape":[1]})"), 4), "tensor 't': missing 'data_offsets'");
  expect_corrupt(raw_file(one_tensor(R"({"dtype":"F32","shape":[1],"data_offsets":[0]})"), 4),
                 "'data_offsets' must be [begin, end] with non-negative integers, got [0]");
  expect_corrupt(raw_file(one_tensor(R"({"dtype":"F32","shape":[1],"data_offsets":[0,"4"]})"), 4),
                 "'data_offsets' must be [begin, end]");
  expect_corrupt(raw_file(one_tensor(R"({"dtype":"F32","shape":[1],"data_offsets":[4,0]})"), 4),
                 "tensor 't': data_offsets [4,0] end before they begin");
  expect_corrupt(raw_file(one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})"), 4),
                 "tensor 't': data_offsets [0,8] run past the end of the 4-byte data section");
  expect_corrupt(raw_file(one_tensor(R"({"dtype":"F32","shape":[2,2],"data_offsets":[0,12]})"), 12),
                 "tensor 't': data_offsets [0,12] span 12 bytes, but shape [2,2] of F32 needs 16");
  expect_corrupt(raw_file(one_tensor(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]})"), 0),
                 "tensor 't': shape [4294967296,4294967296] is too large");
  expect_corrupt(raw_file(one_tensor(R"({"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]})"), 0),
                 "is too large");
  expect_corrupt(raw_file(one_tensor(R"({"dtype":"F32","shape":[18446744073709551615,0],"data_offsets":[0,0]})"), 0),
                 "is too large");
  // Names from the file cannot break the one-line message.
  expect_corrupt(raw_file(R"({"a\nb":5})", 0), "tensor 'a\\nb'");
}

TEST(Safetensors, RequiresTheDataSectionToBeCoveredExactly) {
  const std::string a4 = R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  expect_corrupt(raw_file("{" + a4 + R"(,"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})", 8),
                 "tensor 'b' (bytes 2..6) overlaps tensor 'a'");
  expect_corrupt(raw_file("{" + a4 + R"(,"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8),
                 "overlaps tensor 'a'");
  expect_corrupt(raw_file("{" + a4 + R"(,"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})", 12),
                 "bytes 4..8 of the data section belong to no tensor (hole before 'b')");
  expect_corrupt(raw_file(R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8), "bytes 0..4");
  expect_corrupt(raw_file("{" + a4 + "}", 6), "data section is 6 bytes but the tensors cover 4 (trailing bytes)");
  expect_corrupt(raw_file("{}", 1), "data section is 1 bytes but the tensors cover 0");
  // Empty tensors take no room and may sit anywhere between others.
  EXPECT_EQ(open(raw_file("{" + a4 + R"(,"e":{"dtype":"F16","shape":[0],"data_offsets":[4,4]}})", 4)).entries().size(),
            2u);
}

// A 9.4 MB header of 100,000 empty entries took 127 s to reject while JSON parsing was quadratic.
TEST(Safetensors, AHeaderOfAMillionEntriesIsRejectedQuickly) {
  std::string header = "{";
  for (int i = 0; i < 1'000'000; i++) header += (i ? ",\"t" : "\"t") + std::to_string(i) + "\":{}";
  header += "}";
  const std::string file = raw_file(header, 0);
  EXPECT_LT(test::cpu_seconds([&] { expect_corrupt(file, "tensor 't0': missing 'dtype'"); }), 3.0);
}

TEST(Safetensors, WriterRejectsDuplicateNames) {
  float x = 1;
  EXPECT_THROW(serialize_safetensors({{"a", {1}, &x}, {"a", {1}, &x}}, DType::F32), Error);
  EXPECT_THROW(serialize_safetensors({{"__metadata__", {1}, &x}}, DType::F32), Error);
}

}  // namespace bertft
