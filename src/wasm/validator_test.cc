// Tests for wasm::Validate's module-level rules (spec section 3.4), on modules written in the
// text format and compiled with `wat2wasm --no-check` at test time (skipped without wat2wasm).
#include "wasm/validator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wasm/decoder.h"

namespace weft::wasm {
namespace testing {
// Defined in decoder_test.cc (same test binary).
std::vector<uint8_t> WatToWasm(const std::string& wat, const std::string& flags);
}  // namespace testing

namespace {

// "ok", or "malformed: msg" / "invalid: msg"; "skip" when wat2wasm is unavailable.
std::string Check(const std::string& wat) {
  std::vector<uint8_t> bytes =
      testing::WatToWasm(wat, "--no-check --enable-multi-memory");
  if (bytes.empty()) return "skip";
  auto m = Decode(bytes);
  Error e = m.ok() ? Validate(*m) : m.take_error();
  if (e.ok()) return "ok";
  return std::string(e.code() == ErrorCode::kInvalid ? "invalid: " : "malformed: ") + e.message();
}

#define EXPECT_CHECK(wat, expected)                      \
  do {                                                   \
    std::string got_ = Check(wat);                       \
    if (got_ == "skip") GTEST_SKIP() << "no wat2wasm";   \
    EXPECT_EQ(got_, expected) << wat;                    \
  } while (0)

TEST(ValidatorTest, ValidModules) {
  EXPECT_CHECK("(module)", "ok");
  EXPECT_CHECK(R"((module
      (import "m" "g" (global $g i32))
      (import "m" "t" (table 1 funcref))
      (memory 1 65536)
      (table $t2 0 10 externref)
      (global i32 (global.get $g))
      (global funcref (ref.func $f))
      (global externref (ref.null extern))
      (global v128 (v128.const i32x4 1 2 3 4))
      (func $f)
      (func $start)
      (start $start)
      (elem (i32.const 0) $f)
      (elem (table $t2) (global.get $g) externref (ref.null extern))
      (elem funcref (ref.func $f) (ref.null func))
      (elem declare func $f)
      (data (global.get $g) "x")
      (data "passive")
      (export "f" (func $f)) (export "m" (memory 0)) (export "g" (global 0)))
  )", "ok");
}

TEST(ValidatorTest, Limits) {
  EXPECT_CHECK("(module (memory 65537))", "invalid: memory size must be at most 65536 pages (4GiB)");
  EXPECT_CHECK("(module (memory 0 65537))", "invalid: memory size must be at most 65536 pages (4GiB)");
  EXPECT_CHECK("(module (memory 2 1))", "invalid: size minimum must not be greater than maximum");
  EXPECT_CHECK("(module (table 2 1 funcref))", "invalid: size minimum must not be greater than maximum");
  EXPECT_CHECK("(module (import \"m\" \"m\" (memory 3 2)))",
               "invalid: size minimum must not be greater than maximum");
  EXPECT_CHECK("(module (memory 1) (memory 1))", "invalid: multiple memories");
  EXPECT_CHECK("(module (import \"m\" \"m\" (memory 1)) (memory 1))", "invalid: multiple memories");
}

TEST(ValidatorTest, Indices) {
  EXPECT_CHECK("(module (func (type 3)))", "invalid: unknown type 3");
  EXPECT_CHECK("(module (func) (start 1))", "invalid: unknown function 1");
  EXPECT_CHECK("(module (export \"x\" (func 0)))", "invalid: unknown function 0");
  EXPECT_CHECK("(module (export \"x\" (table 0)))", "invalid: unknown table 0");
  EXPECT_CHECK("(module (export \"x\" (memory 0)))", "invalid: unknown memory 0");
  EXPECT_CHECK("(module (export \"x\" (global 0)))", "invalid: unknown global 0");
  EXPECT_CHECK("(module (func) (elem (i32.const 0) 0))", "invalid: unknown table 0");
  EXPECT_CHECK("(module (data (i32.const 0) \"\"))", "invalid: unknown memory 0");
  EXPECT_CHECK("(module (table 1 funcref) (elem (i32.const 0) 4))", "invalid: unknown function 4");
}

TEST(ValidatorTest, StartAndExports) {
  EXPECT_CHECK("(module (func (param i32)) (start 0))", "invalid: start function");
  EXPECT_CHECK("(module (func (result i32) i32.const 0) (start 0))", "invalid: start function");
  EXPECT_CHECK("(module (func) (export \"a\" (func 0)) (export \"a\" (func 0)))",
               "invalid: duplicate export name");
}

TEST(ValidatorTest, ConstantExpressions) {
  EXPECT_CHECK("(module (global i32 (f32.const 0)))", "invalid: type mismatch");
  EXPECT_CHECK("(module (global i32 (i32.const 0) (i32.const 0)))", "invalid: type mismatch");
  EXPECT_CHECK("(module (global i32))", "invalid: type mismatch");
  EXPECT_CHECK("(module (global i32 (i32.ctz (i32.const 0))))", "invalid: constant expression required");
  EXPECT_CHECK("(module (global i32 (nop)))", "invalid: constant expression required");
  EXPECT_CHECK("(module (global i32 (global.get 0)))", "invalid: unknown global 0");
  EXPECT_CHECK("(module (global i32 (i32.const 0)) (global i32 (global.get 0)))",
               "invalid: unknown global 0");
  EXPECT_CHECK("(module (import \"m\" \"g\" (global (mut i32))) (global i32 (global.get 0)))",
               "invalid: constant expression required");
  EXPECT_CHECK("(module (import \"m\" \"g\" (global externref)) (global funcref (global.get 0)))",
               "invalid: type mismatch");
  EXPECT_CHECK("(module (global funcref (ref.func 2)))", "invalid: unknown function 2");
  EXPECT_CHECK("(module (global externref (ref.null func)))", "invalid: type mismatch");
  EXPECT_CHECK("(module (memory 1) (data (i64.const 0) \"\"))", "invalid: type mismatch");
  EXPECT_CHECK("(module (table 1 funcref) (elem (i64.const 0)))", "invalid: type mismatch");
}

TEST(ValidatorTest, ElementTypes) {
  EXPECT_CHECK("(module (table 1 externref) (func $f) (elem (i32.const 0) $f))", "invalid: type mismatch");
  EXPECT_CHECK("(module (elem externref (ref.func 0)) (func))", "invalid: type mismatch");
  EXPECT_CHECK("(module (elem funcref (ref.null extern)))", "invalid: type mismatch");
}

TEST(ValidatorTest, DeclaredFunctions) {
  std::vector<uint8_t> bytes = testing::WatToWasm(R"((module
      (func $a) (func $b) (func $c) (func $d) (func $e)
      (global funcref (ref.func $b))
      (elem declare func $c)
      (export "d" (func $d))
      (start $e))
  )", "");
  if (bytes.empty()) GTEST_SKIP() << "no wat2wasm";
  auto m = Decode(bytes);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(Validate(*m).ok());
  EXPECT_EQ(m->declared_funcs, (std::vector<bool>{false, true, true, true, false}));
}

}  // namespace
}  // namespace weft::wasm

namespace weft::wasm {
namespace {

TEST(ValidatorTest, BodiesCanBeDeferred) {
  std::vector<uint8_t> bytes = testing::WatToWasm("(module (func (result i32)))", "--no-check");
  if (bytes.empty()) GTEST_SKIP() << "no wat2wasm";
  auto m = Decode(bytes);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(Validate(*m, {.function_bodies = false}).ok());
  Error e = Validate(*m);
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.func_index(), 0u);
}

}  // namespace
}  // namespace weft::wasm
