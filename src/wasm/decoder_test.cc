// Tests for wasm::Decode: hand-built binaries for each section and each error the spec suite
// words, and modules produced by wat2wasm at test time (skipped when wat2wasm is absent).
#include "wasm/decoder.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

namespace weft::wasm {

namespace testing {

// Compiles WebAssembly text with wat2wasm (extra flags such as --no-check in `flags`); an empty
// vector when wat2wasm is unavailable or fails. Shared with validator_test.cc.
std::vector<uint8_t> WatToWasm(const std::string& wat, const std::string& flags) {
  char dir[] = "/tmp/weft-wat-XXXXXX";
  if (!mkdtemp(dir)) return {};
  std::string in = std::string(dir) + "/m.wat", out = std::string(dir) + "/m.wasm";
  {
    std::ofstream f(in);
    f << wat;
  }
  std::string cmd = "wat2wasm " + flags + " " + in + " -o " + out + " >/dev/null 2>&1";
  std::vector<uint8_t> bytes;
  if (std::system(cmd.c_str()) == 0) {
    std::ifstream f(out, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  std::remove(in.c_str());
  std::remove(out.c_str());
  rmdir(dir);
  return bytes;
}

}  // namespace testing

namespace {

using Bytes = std::vector<uint8_t>;

Bytes Header() { return {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}; }

void Leb(Bytes& out, uint32_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out.push_back(v ? (b | 0x80) : b);
  } while (v);
}

// Header followed by sections given as (id, payload).
Bytes Module(std::initializer_list<std::pair<uint8_t, Bytes>> sections) {
  Bytes out = Header();
  for (const auto& [id, payload] : sections) {
    out.push_back(id);
    Leb(out, static_cast<uint32_t>(payload.size()));
    out.insert(out.end(), payload.begin(), payload.end());
  }
  return out;
}

std::string DecodeError(const Bytes& b) {
  auto m = Decode(b);
  return m.ok() ? "ok" : m.error().message();
}

const Bytes kType0 = {0x01, 0x60, 0x00, 0x00};      // One type: [] -> [].
const Bytes kOneFunc = {0x01, 0x00};                // One function of type 0.
const Bytes kOneBody = {0x01, 0x02, 0x00, 0x0b};    // One body: no locals, end.

TEST(DecoderTest, Header) {
  EXPECT_EQ(DecodeError({}), "unexpected end");
  EXPECT_EQ(DecodeError({0x00, 0x61, 0x73}), "unexpected end");
  EXPECT_EQ(DecodeError({0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0}), "magic header not detected");
  EXPECT_EQ(DecodeError({0x00, 0x61, 0x73, 0x6d, 1, 0}), "unexpected end");
  EXPECT_EQ(DecodeError({0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0}), "unknown binary version");
  EXPECT_EQ(DecodeError({0x00, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0}), "unknown binary version");
  auto m = Decode(Header());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->num_funcs(), 0u);
  EXPECT_EQ(m->bytes.size(), 8u);
}

TEST(DecoderTest, SectionFraming) {
  EXPECT_EQ(DecodeError(Module({{13, {}}})), "malformed section id");
  EXPECT_EQ(DecodeError(Module({{1, kType0}, {1, kType0}})), "unexpected content after last section");
  EXPECT_EQ(DecodeError(Module({{3, kOneFunc}, {1, kType0}})), "unexpected content after last section");
  // DataCount (12) goes before Code (10).
  EXPECT_EQ(DecodeError(Module({{1, kType0}, {3, kOneFunc}, {10, kOneBody}, {12, {0x00}}})),
            "unexpected content after last section");
  EXPECT_EQ(DecodeError(Module({{1, kType0}, {3, kOneFunc}, {12, {0x00}}, {10, kOneBody}})), "ok");
  Bytes b = Header();
  b.insert(b.end(), {0x01, 0x05, 0x01, 0x60, 0x00, 0x00});
  EXPECT_EQ(DecodeError(b), "length out of bounds");
  EXPECT_EQ(DecodeError(Module({{1, {0x01, 0x60, 0x00, 0x00, 0x00}}})), "section size mismatch");
  // A count larger than the section's content.
  EXPECT_EQ(DecodeError(Module({{1, {0x02, 0x60, 0x00, 0x00}}})), "unexpected end of section or function");
  // Reading across the section's end into the next section, as the reference decoder does.
  EXPECT_EQ(DecodeError(Module({{1, {0x02, 0x60, 0x00, 0x00}}, {3, kOneFunc}})), "malformed function type");
}

TEST(DecoderTest, CustomSectionsAnywhere) {
  Bytes custom = {0x03, 'a', 'b', 'c', 0xde, 0xad};
  auto m = Decode(Module({{0, custom}, {1, kType0}, {0, custom}, {3, kOneFunc}, {10, kOneBody}, {0, custom}}));
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  ASSERT_EQ(m->customs.size(), 3u);
  EXPECT_EQ(m->customs[1].name, "abc");
  EXPECT_EQ(m->customs[1].data_size, 2u);
  EXPECT_EQ(m->bytes[m->customs[1].data_offset], 0xde);
  EXPECT_EQ(DecodeError(Module({{0, {}}})), "unexpected end of section or function");
  EXPECT_EQ(DecodeError(Module({{0, {0x02, 0xc0, 0x80}}})), "malformed UTF-8 encoding");
}

TEST(DecoderTest, NameSection) {
  Bytes names = {0x04, 'n', 'a', 'm', 'e',
                 // Module name "mod".
                 0x00, 0x04, 0x03, 'm', 'o', 'd',
                 // Function names: 0 -> "f".
                 0x01, 0x04, 0x01, 0x00, 0x01, 'f'};
  auto m = Decode(Module({{1, kType0}, {3, kOneFunc}, {10, kOneBody}, {0, names}}));
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->module_name, "mod");
  EXPECT_EQ(m->FuncName(0), "f");
  EXPECT_EQ(m->FuncName(7), "func[7]");

  // A broken name section (truncated function map) is ignored, never an error.
  Bytes broken = {0x04, 'n', 'a', 'm', 'e', 0x00, 0x04, 0x03, 'm', 'o', 'd', 0x01, 0x04, 0x05, 0x00};
  auto m2 = Decode(Module({{1, kType0}, {3, kOneFunc}, {10, kOneBody}, {0, broken}}));
  ASSERT_TRUE(m2.ok()) << m2.error().ToString();
  EXPECT_EQ(m2->module_name, "");
  EXPECT_TRUE(m2->func_names.empty());
}

TEST(DecoderTest, FunctionsAndCode) {
  auto m = Decode(Module({{1, kType0}, {3, kOneFunc}, {10, kOneBody}}));
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->functions.size(), 1u);
  EXPECT_EQ(m->functions[0].body_size, 2u);
  EXPECT_EQ(m->body(0)[0], 0x00);
  EXPECT_EQ(m->body(0)[1], 0x0b);
  EXPECT_EQ(DecodeError(Module({{1, kType0}, {3, kOneFunc}})),
            "function and code section have inconsistent lengths");
  EXPECT_EQ(DecodeError(Module({{1, kType0}, {10, kOneBody}})),
            "function and code section have inconsistent lengths");
  EXPECT_EQ(DecodeError(Module({{1, kType0}, {3, {0x02, 0x00, 0x00}}, {10, kOneBody}})),
            "function and code section have inconsistent lengths");
  // A body that claims more bytes than its section holds.
  EXPECT_EQ(DecodeError(Module({{1, kType0}, {3, kOneFunc}, {10, {0x01, 0x05, 0x00, 0x0b}}})),
            "unexpected end of section or function");
}

TEST(DecoderTest, ImportsAndDerivedTables) {
  Bytes imports = {0x04,
                   0x01, 'm', 0x01, 'f', 0x00, 0x00,              // func type 0
                   0x01, 'm', 0x01, 't', 0x01, 0x70, 0x00, 0x01,  // table funcref min 1
                   0x01, 'm', 0x01, 'g', 0x03, 0x7f, 0x01,        // global mut i32
                   0x01, 'm', 0x01, 'm', 0x02, 0x01, 0x01, 0x02}; // memory 1..2
  Bytes globals = {0x01, 0x7e, 0x00, 0x42, 0x7f, 0x0b};          // i64 const -1
  Bytes exports = {0x01, 0x01, 'e', 0x00, 0x01};
  Bytes elems = {0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00};       // Active at 0: func 0.
  auto m = Decode(Module({{1, kType0}, {2, imports}, {3, kOneFunc}, {4, {0x01, 0x6f, 0x00, 0x00}},
                          {6, globals}, {7, exports}, {9, elems}, {10, kOneBody}}));
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->num_imported_funcs, 1u);
  EXPECT_EQ(m->num_imported_tables, 1u);
  EXPECT_EQ(m->num_imported_memories, 1u);
  EXPECT_EQ(m->num_imported_globals, 1u);
  EXPECT_EQ(m->num_funcs(), 2u);
  ASSERT_EQ(m->all_tables.size(), 2u);
  EXPECT_EQ(m->all_tables[1].elem, ValType::kExternRef);
  ASSERT_EQ(m->all_memories.size(), 1u);
  EXPECT_EQ(*m->all_memories[0].limits.max, 2u);
  ASSERT_EQ(m->all_globals.size(), 2u);
  EXPECT_TRUE(m->all_globals[0].mut);
  EXPECT_EQ(m->globals[0].init.kind, ConstExpr::Kind::kI64);
  EXPECT_EQ(m->globals[0].init.bits, ~uint64_t{0});
  EXPECT_EQ(m->FuncName(1), "e");
  EXPECT_EQ(m->FuncName(0), "m.f");
  ASSERT_EQ(m->declared_funcs.size(), 2u);
  EXPECT_TRUE(m->declared_funcs[0]);  // From the element segment.
  EXPECT_TRUE(m->declared_funcs[1]);  // From the export.
}

TEST(DecoderTest, MalformedEntries) {
  EXPECT_EQ(DecodeError(Module({{2, {0x01, 0x00, 0x00, 0x04, 0x00}}})), "malformed import kind");
  EXPECT_EQ(DecodeError(Module({{4, {0x01, 0x70, 0x02, 0x00}}})), "integer too large");
  EXPECT_EQ(DecodeError(Module({{4, {0x01, 0x70, 0x81, 0x00, 0x00}}})), "integer representation too long");
  EXPECT_EQ(DecodeError(Module({{4, {0x01, 0x7f, 0x00, 0x00}}})), "malformed reference type");
  EXPECT_EQ(DecodeError(Module({{5, {0x01, 0x03, 0x00}}})), "integer too large");
  EXPECT_EQ(DecodeError(Module({{6, {0x01, 0x7f, 0x02, 0x41, 0x00, 0x0b}}})), "malformed mutability");
  EXPECT_EQ(DecodeError(Module({{6, {0x01, 0x7f, 0x00, 0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0x41, 0x0b}}})),
            "integer too large");
  EXPECT_EQ(DecodeError(Module({{1, {0x01, 0x61, 0x00, 0x00}}})), "malformed function type");
  EXPECT_EQ(DecodeError(Module({{1, {0x01, 0xe0, 0x7f, 0x00, 0x00}}})), "integer representation too long");
  EXPECT_EQ(DecodeError(Module({{1, {0x01, 0x60, 0x01, 0x40, 0x00}}})), "malformed value type");
  EXPECT_EQ(DecodeError(Module({{7, {0x01, 0x00, 0x04, 0x00}}})), "malformed export kind");
  EXPECT_EQ(DecodeError(Module({{9, {0x01, 0x08}}})), "malformed elements segment kind");
  EXPECT_EQ(DecodeError(Module({{9, {0x01, 0x01, 0x01, 0x00}}})), "malformed element kind");
  EXPECT_EQ(DecodeError(Module({{11, {0x01, 0x03}}})), "malformed data segment kind");
  EXPECT_EQ(DecodeError(Module({{12, {0x01}}, {11, {0x00}}})),
            "data count and data section have inconsistent lengths");
  EXPECT_EQ(DecodeError(Module({{12, {0x01}}})), "data count and data section have inconsistent lengths");
}

TEST(DecoderTest, ConstantExpressions) {
  auto global = [](Bytes expr) {
    Bytes g = {0x01, 0x7f, 0x00};
    g.insert(g.end(), expr.begin(), expr.end());
    auto m = Decode(Module({{6, g}}));
    if (m.ok()) return std::string("ok");
    return std::string(m.error().code() == ErrorCode::kInvalid ? "invalid: " : "malformed: ") +
           m.error().message();
  };
  EXPECT_EQ(global({0x41, 0x00, 0x0b}), "ok");
  EXPECT_EQ(global({0x0b}), "invalid: type mismatch");
  EXPECT_EQ(global({0x41, 0x00, 0x41, 0x00, 0x0b}), "invalid: type mismatch");
  EXPECT_EQ(global({0x01, 0x0b}), "invalid: constant expression required");
  EXPECT_EQ(global({0x41, 0x00, 0x68, 0x0b}), "invalid: constant expression required");
  EXPECT_EQ(global({0xfd, 0x0d, 0x0b}), "invalid: constant expression required");
  EXPECT_EQ(global({0xf3, 0x00, 0x0b}), "malformed: illegal opcode");
  EXPECT_EQ(global({0xd0, 0x7f, 0x0b}), "malformed: malformed reference type");
  EXPECT_EQ(global({0x41, 0x00}), "malformed: unexpected end of section or function");

  Bytes v128 = {0x01, 0x7b, 0x00, 0xfd, 0x0c};
  for (int i = 0; i < 16; ++i) v128.push_back(static_cast<uint8_t>(i));
  v128.push_back(0x0b);
  auto m = Decode(Module({{6, v128}}));
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->globals[0].init.kind, ConstExpr::Kind::kV128);
  EXPECT_EQ(m->globals[0].init.bits, 0x0706050403020100ull);
  EXPECT_EQ(m->globals[0].init.bits_hi, 0x0f0e0d0c0b0a0908ull);
}

TEST(DecoderTest, ElementSegmentEncodings) {
  // One segment per flag value 0..7, each holding function 0 (as an index or a ref.func).
  Bytes elems = {0x08,
                 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00,
                 0x01, 0x00, 0x01, 0x00,
                 0x02, 0x00, 0x41, 0x01, 0x0b, 0x00, 0x01, 0x00,
                 0x03, 0x00, 0x01, 0x00,
                 0x04, 0x41, 0x02, 0x0b, 0x01, 0xd2, 0x00, 0x0b,
                 0x05, 0x70, 0x02, 0xd2, 0x00, 0x0b, 0xd0, 0x70, 0x0b,
                 0x06, 0x01, 0x41, 0x03, 0x0b, 0x6f, 0x01, 0xd0, 0x6f, 0x0b,
                 0x07, 0x70, 0x01, 0xd2, 0x00, 0x0b};
  auto m = Decode(Module({{1, kType0}, {3, kOneFunc}, {4, {0x02, 0x70, 0x00, 0x04, 0x6f, 0x00, 0x04}},
                          {9, elems}, {10, kOneBody}}));
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  ASSERT_EQ(m->elems.size(), 8u);
  using Mode = ElemSegment::Mode;
  const Mode modes[8] = {Mode::kActive,  Mode::kPassive, Mode::kActive,  Mode::kDeclarative,
                         Mode::kActive,  Mode::kPassive, Mode::kActive,  Mode::kDeclarative};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(m->elems[i].mode, modes[i]) << i;
  EXPECT_EQ(m->elems[2].offset.bits, 1u);
  EXPECT_EQ(m->elems[4].items[0].kind, ConstExpr::Kind::kRefFunc);
  EXPECT_EQ(m->elems[5].items.size(), 2u);
  EXPECT_EQ(m->elems[5].items[1].kind, ConstExpr::Kind::kRefNull);
  EXPECT_EQ(m->elems[6].table_index, 1u);
  EXPECT_EQ(m->elems[6].type, ValType::kExternRef);
  EXPECT_EQ(m->elems[6].offset.bits, 3u);
  EXPECT_TRUE(m->declared_funcs[0]);
}

TEST(DecoderTest, DataSegmentEncodings) {
  Bytes datas = {0x03,
                 0x00, 0x41, 0x08, 0x0b, 0x02, 'h', 'i',
                 0x01, 0x01, 'p',
                 0x02, 0x00, 0x41, 0x10, 0x0b, 0x00};
  auto m = Decode(Module({{5, {0x01, 0x00, 0x01}}, {12, {0x03}}, {11, datas}}));
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  ASSERT_EQ(m->datas.size(), 3u);
  EXPECT_EQ(*m->data_count, 3u);
  EXPECT_EQ(m->datas[0].mode, DataSegment::Mode::kActive);
  EXPECT_EQ(m->datas[0].offset.bits, 8u);
  EXPECT_EQ(m->datas[0].data_size, 2u);
  EXPECT_EQ(m->bytes[m->datas[0].data_offset + 1], 'i');
  EXPECT_EQ(m->datas[1].mode, DataSegment::Mode::kPassive);
  EXPECT_EQ(m->bytes[m->datas[1].data_offset], 'p');
  EXPECT_EQ(m->datas[2].offset.bits, 16u);
  EXPECT_EQ(m->datas[2].data_size, 0u);
}

TEST(DecoderTest, PaddedLebsAsLinkersEmit) {
  // Section sizes, counts and indices padded to five bytes.
  Bytes b = Header();
  b.insert(b.end(), {0x01, 0x88, 0x80, 0x80, 0x80, 0x00, 0x81, 0x80, 0x80, 0x80, 0x00, 0x60, 0x00, 0x00});
  b.insert(b.end(), {0x03, 0x06, 0x01, 0x80, 0x80, 0x80, 0x80, 0x00});
  b.insert(b.end(), {0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b});
  auto m = Decode(b);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->functions[0].type_index, 0u);
}

TEST(DecoderTest, WatModule) {
  auto bytes = testing::WatToWasm(R"(
    (module $demo
      (type $t (func (param i32) (result i32)))
      (import "env" "f" (func $imp (type $t)))
      (memory (export "mem") 1 2)
      (table 2 funcref)
      (global $g (mut i64) (i64.const 42))
      (func $add (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
      (elem (i32.const 0) $add $imp)
      (data (i32.const 16) "hello"))
  )", "--debug-names");
  if (bytes.empty()) GTEST_SKIP() << "wat2wasm unavailable";
  auto m = Decode(bytes);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->module_name, "demo");
  EXPECT_EQ(m->FuncName(1), "add");
  EXPECT_EQ(m->num_imported_funcs, 1u);
  EXPECT_EQ(m->func_type(1).params.size(), 2u);
  EXPECT_EQ(FuncTypeToString(m->func_type(1)), "(i32, i32) -> (i32)");
  EXPECT_EQ(m->exports.size(), 2u);
  EXPECT_EQ(m->elems[0].items.size(), 2u);
  EXPECT_EQ(m->datas[0].data_size, 5u);
  EXPECT_EQ(m->globals[0].init.bits, 42u);
}

TEST(DecoderTest, TruncationsNeverSucceed) {
  auto bytes = testing::WatToWasm(R"(
    (module (memory 1) (global i32 (i32.const 7)) (func (export "f") (result i32) global.get 0)
      (data (i32.const 0) "abc"))
  )", "");
  if (bytes.empty()) GTEST_SKIP() << "wat2wasm unavailable";
  ASSERT_TRUE(Decode(bytes).ok());
  // Every proper prefix either fails to decode or ends exactly at a section boundary.
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto m = Decode(std::span<const uint8_t>(bytes.data(), n));
    if (m.ok()) continue;
    EXPECT_EQ(m.error().code(), ErrorCode::kMalformed) << n;
    EXPECT_LE(m.error().offset(), n) << n;
  }
}

}  // namespace
}  // namespace weft::wasm
