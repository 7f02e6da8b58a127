// Tests for wasm::Reader: LEB128 ranges as binary-leb128.wast expects (padded encodings
// accepted, over-long and overflowing ones rejected), UTF-8 names, offsets and sticky errors.
#include "wasm/reader.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace weft::wasm {
namespace {

Reader R(const std::vector<uint8_t>& b, uint64_t base = 0) { return Reader(b, base); }

TEST(ReaderTest, VarU32) {
  std::vector<uint8_t> b = {0x00, 0x7f, 0xe5, 0x8e, 0x26, 0x80, 0x80, 0x80, 0x80, 0x00,
                            0xff, 0xff, 0xff, 0xff, 0x0f};
  Reader r = R(b);
  uint32_t v;
  ASSERT_TRUE(r.ReadVarU32(&v));
  EXPECT_EQ(v, 0u);
  ASSERT_TRUE(r.ReadVarU32(&v));
  EXPECT_EQ(v, 127u);
  ASSERT_TRUE(r.ReadVarU32(&v));
  EXPECT_EQ(v, 624485u);
  ASSERT_TRUE(r.ReadVarU32(&v));  // Padded zero, five bytes.
  EXPECT_EQ(v, 0u);
  ASSERT_TRUE(r.ReadVarU32(&v));
  EXPECT_EQ(v, 0xffffffffu);
  EXPECT_TRUE(r.at_end());
}

TEST(ReaderTest, VarU32Errors) {
  uint32_t v;
  {
    std::vector<uint8_t> b = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    Reader r = R(b, 100);
    EXPECT_FALSE(r.ReadVarU32(&v));
    EXPECT_EQ(r.error().message(), "integer representation too long");
    EXPECT_EQ(r.error().code(), ErrorCode::kMalformed);
    EXPECT_EQ(r.error().offset(), 104u);
  }
  {
    std::vector<uint8_t> b = {0xff, 0xff, 0xff, 0xff, 0x1f};
    Reader r = R(b);
    EXPECT_FALSE(r.ReadVarU32(&v));
    EXPECT_EQ(r.error().message(), "integer too large");
  }
  {
    std::vector<uint8_t> b = {0x80, 0x80};
    Reader r = R(b);
    EXPECT_FALSE(r.ReadVarU32(&v));
    EXPECT_EQ(r.error().message(), "unexpected end");
  }
}

TEST(ReaderTest, VarS32) {
  int32_t v;
  std::vector<uint8_t> ok = {0x7f, 0x3f, 0x40, 0xff, 0xff, 0xff, 0xff, 0x07,
                             0x80, 0x80, 0x80, 0x80, 0x78, 0xff, 0xff, 0xff, 0xff, 0x7f};
  Reader r = R(ok);
  ASSERT_TRUE(r.ReadVarS32(&v));
  EXPECT_EQ(v, -1);
  ASSERT_TRUE(r.ReadVarS32(&v));
  EXPECT_EQ(v, 63);
  ASSERT_TRUE(r.ReadVarS32(&v));
  EXPECT_EQ(v, -64);
  ASSERT_TRUE(r.ReadVarS32(&v));
  EXPECT_EQ(v, 0x7fffffff);
  ASSERT_TRUE(r.ReadVarS32(&v));
  EXPECT_EQ(v, INT32_MIN);
  ASSERT_TRUE(r.ReadVarS32(&v));  // Padded -1.
  EXPECT_EQ(v, -1);
  for (uint8_t last : {0x0f, 0x70, 0x17, 0x4f}) {
    std::vector<uint8_t> b = {0xff, 0xff, 0xff, 0xff, last};
    Reader e = R(b);
    EXPECT_FALSE(e.ReadVarS32(&v)) << int{last};
    EXPECT_EQ(e.error().message(), "integer too large");
  }
}

TEST(ReaderTest, VarS33) {
  int64_t v;
  std::vector<uint8_t> b = {0x40, 0x80, 0x80, 0x80, 0x80, 0x0f, 0xff, 0xff, 0xff, 0xff, 0x0f};
  Reader r = R(b);
  ASSERT_TRUE(r.ReadVarS33(&v));
  EXPECT_EQ(v, -64);
  ASSERT_TRUE(r.ReadVarS33(&v));
  EXPECT_EQ(v, int64_t{0xf} << 28);
  ASSERT_TRUE(r.ReadVarS33(&v));
  EXPECT_EQ(v, 0xffffffffll);
  std::vector<uint8_t> bad = {0xff, 0xff, 0xff, 0xff, 0x2f};
  Reader e = R(bad);
  EXPECT_FALSE(e.ReadVarS33(&v));
  EXPECT_EQ(e.error().message(), "integer too large");
}

TEST(ReaderTest, Var64) {
  int64_t s;
  uint64_t u;
  std::vector<uint8_t> b = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f,
                            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  Reader r = R(b);
  ASSERT_TRUE(r.ReadVarS64(&s));
  EXPECT_EQ(s, INT64_MIN);
  ASSERT_TRUE(r.ReadVarU64(&u));
  EXPECT_EQ(u, ~uint64_t{0});
  std::vector<uint8_t> too_large = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x41};
  Reader e = R(too_large);
  EXPECT_FALSE(e.ReadVarS64(&s));
  EXPECT_EQ(e.error().message(), "integer too large");
  std::vector<uint8_t> too_long(11, 0x80);
  too_long.back() = 0;
  Reader e2 = R(too_long);
  EXPECT_FALSE(e2.ReadVarU64(&u));
  EXPECT_EQ(e2.error().message(), "integer representation too long");
  std::vector<uint8_t> u_large = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  Reader e3 = R(u_large);
  EXPECT_FALSE(e3.ReadVarU64(&u));
  EXPECT_EQ(e3.error().message(), "integer too large");
}

TEST(ReaderTest, FixedWidthAndBytes) {
  std::vector<uint8_t> b = {0x00, 0x00, 0x80, 0x3f, 1, 2, 3};
  Reader r = R(b, 8);
  uint32_t f;
  ASSERT_TRUE(r.ReadF32Bits(&f));
  EXPECT_EQ(f, 0x3f800000u);
  std::span<const uint8_t> bytes;
  ASSERT_TRUE(r.ReadBytes(2, &bytes));
  EXPECT_EQ(bytes[1], 2);
  EXPECT_EQ(r.offset(), 14u);
  EXPECT_EQ(r.remaining(), 1u);
  uint64_t d;
  EXPECT_FALSE(r.ReadF64Bits(&d));
  EXPECT_EQ(r.error().message(), "unexpected end");
  EXPECT_EQ(r.error().offset(), 14u);
}

TEST(ReaderTest, StickyError) {
  std::vector<uint8_t> b = {0xff, 0xff, 0xff, 0xff, 0x7f, 0x01};
  Reader r = R(b);
  uint32_t v;
  uint8_t u8;
  EXPECT_FALSE(r.ReadVarU32(&v));
  EXPECT_FALSE(r.ReadU8(&u8));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "integer too large");
}

TEST(ReaderTest, Names) {
  std::string_view name;
  {
    std::vector<uint8_t> b = {0x06, 'h', 0xc3, 0xa9, 0xe2, 0x82};
    Reader r = R(b);
    EXPECT_FALSE(r.ReadName(&name));
    EXPECT_EQ(r.error().message(), "length out of bounds");
  }
  {
    std::vector<uint8_t> b = {0x08, 'h', 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f};
    Reader r = R(b);
    EXPECT_FALSE(r.ReadName(&name));  // Four-byte sequence cut short.
    EXPECT_EQ(r.error().message(), "malformed UTF-8 encoding");
  }
  {
    std::vector<uint8_t> b = {0x0a, 'h', 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80};
    Reader r = R(b);
    ASSERT_TRUE(r.ReadName(&name));
    EXPECT_EQ(name.size(), 10u);
  }
  const std::vector<std::vector<uint8_t>> bad = {
      {0xc0, 0x80},              // Overlong NUL.
      {0xe0, 0x80, 0x80},        // Overlong.
      {0xed, 0xa0, 0x80},        // Surrogate U+D800.
      {0xf4, 0x90, 0x80, 0x80},  // U+110000.
      {0x80},                    // Lone continuation byte.
      {0xf8, 0x88, 0x80, 0x80, 0x80},
      {0xc3},
  };
  for (const auto& s : bad) EXPECT_FALSE(Reader::IsValidUtf8(s.data(), s.size()));
}


// Straightforward model of the spec's LEB128 rules for N-bit integers, for cross-checking.
std::string ModelLeb(const std::vector<uint8_t>& b, unsigned bits, bool is_signed, int64_t* out) {
  const size_t max_bytes = (bits + 6) / 7;
  __int128 value = 0;
  size_t i = 0;
  for (;; ++i) {
    if (i >= max_bytes) return "integer representation too long";
    if (i >= b.size()) return "unexpected end";
    value |= static_cast<__int128>(b[i] & 0x7f) << (7 * i);
    if (!(b[i] & 0x80)) break;
  }
  const unsigned total = 7 * static_cast<unsigned>(i + 1);
  if (is_signed && (b[i] & 0x40)) value -= static_cast<__int128>(1) << total;
  const __int128 lo = is_signed ? -(static_cast<__int128>(1) << (bits - 1)) : 0;
  const __int128 hi = is_signed ? (static_cast<__int128>(1) << (bits - 1)) - 1
                                : (static_cast<__int128>(1) << bits) - 1;
  if (value < lo || value > hi) return "integer too large";
  *out = static_cast<int64_t>(value);
  return "ok";
}

TEST(ReaderTest, Leb32MatchesModel) {
  std::mt19937 rng(42);
  for (int iter = 0; iter < 200000; ++iter) {
    std::vector<uint8_t> b(1 + rng() % 6);
    for (auto& x : b) {
      uint32_t r = rng();
      // Bias towards continuation bytes and the interesting top bits.
      x = (r & 0x100) ? static_cast<uint8_t>(r | 0x80) : static_cast<uint8_t>(r);
      if ((r & 0x600) == 0) x = (r & 0x800) ? 0x7f : 0x00;
    }
    for (bool is_signed : {false, true}) {
      int64_t want = 0;
      std::string model = ModelLeb(b, 32, is_signed, &want);
      Reader r(b);
      bool ok;
      int64_t got = 0;
      if (is_signed) {
        int32_t v;
        ok = r.ReadVarS32(&v);
        got = v;
      } else {
        uint32_t v;
        ok = r.ReadVarU32(&v);
        got = v;
      }
      ASSERT_EQ(ok ? "ok" : r.error().message(), model) << is_signed << " iter " << iter;
      if (ok) {
        ASSERT_EQ(got, want);
      }
      // The generic path (s33 / s64 / u64) against the same model.
      Reader r33(b);
      int64_t v33 = 0, want33 = 0;
      std::string model33 = ModelLeb(b, 33, true, &want33);
      bool ok33 = r33.ReadVarS33(&v33);
      ASSERT_EQ(ok33 ? "ok" : r33.error().message(), model33);
      if (ok33) {
        ASSERT_EQ(v33, want33);
      }
    }
  }
}

}  // namespace
}  // namespace weft::wasm
