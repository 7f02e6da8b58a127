// Unit tests for the `weft run` option parsers.
#include "cli/run_options.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include <gtest/gtest.h>

namespace weft::cli {
namespace {

using std::chrono::nanoseconds;

TEST(ParseDurationTest, Units) {
  EXPECT_EQ(ParseDuration("1s").value(), nanoseconds(1'000'000'000));
  EXPECT_EQ(ParseDuration("500ms").value(), nanoseconds(500'000'000));
  EXPECT_EQ(ParseDuration("2m").value(), nanoseconds(120'000'000'000));
  EXPECT_EQ(ParseDuration("1.5s").value(), nanoseconds(1'500'000'000));
  EXPECT_EQ(ParseDuration("3").value(), nanoseconds(3'000'000'000));
  EXPECT_EQ(ParseDuration("250us").value(), nanoseconds(250'000));
  EXPECT_EQ(ParseDuration("1h").value(), nanoseconds(3'600'000'000'000));
}

TEST(ParseDurationTest, Rejects) {
  for (const char* s : {"", "s", "1x", "-1s", "abc", "0s", "1e400s", "1.2.3s", "ms5"}) {
    EXPECT_FALSE(ParseDuration(s).ok()) << s;
  }
}

TEST(ParseDirTest, Forms) {
  auto d = ParseDir("/tmp/x::/data");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->host, "/tmp/x");
  EXPECT_EQ(d->guest, "/data");
  d = ParseDir(".");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->guest, ".");
  EXPECT_FALSE(ParseDir("::x").ok());
  EXPECT_FALSE(ParseDir("x::").ok());
}

TEST(ParseEnvTest, Forms) {
  EXPECT_EQ(ParseEnv("A=b=c").value(), std::optional<std::string>("A=b=c"));
  setenv("WEFT_TEST_ENV", "v", 1);
  EXPECT_EQ(ParseEnv("WEFT_TEST_ENV").value(), std::optional<std::string>("WEFT_TEST_ENV=v"));
  unsetenv("WEFT_TEST_ENV");
  EXPECT_EQ(ParseEnv("WEFT_TEST_ENV").value(), std::nullopt);
  EXPECT_FALSE(ParseEnv("=x").ok());
}

TEST(ParseInvokeArgTest, Integers) {
  EXPECT_EQ(ParseInvokeArg("42", ValKind::kI32)->i32(), 42);
  EXPECT_EQ(ParseInvokeArg("-1", ValKind::kI32)->i32(), -1);
  EXPECT_EQ(ParseInvokeArg("4294967295", ValKind::kI32)->i32(), -1);
  EXPECT_EQ(ParseInvokeArg("-2147483648", ValKind::kI32)->i32(), INT32_MIN);
  EXPECT_EQ(ParseInvokeArg("0x10", ValKind::kI32)->i32(), 16);
  EXPECT_EQ(ParseInvokeArg("-9223372036854775808", ValKind::kI64)->i64(), INT64_MIN);
  for (const char* s : {"", "x", "4294967296", "-2147483649", "1.5", "12a", "--1"}) {
    EXPECT_FALSE(ParseInvokeArg(s, ValKind::kI32).ok()) << s;
  }
  EXPECT_FALSE(ParseInvokeArg("18446744073709551616", ValKind::kI64).ok());
}

TEST(ParseInvokeArgTest, Floats) {
  EXPECT_EQ(ParseInvokeArg("1.5", ValKind::kF32)->f32(), 1.5f);
  EXPECT_EQ(ParseInvokeArg("-2", ValKind::kF64)->f64(), -2.0);
  EXPECT_TRUE(std::isnan(ParseInvokeArg("nan", ValKind::kF64)->f64()));
  EXPECT_TRUE(std::isinf(ParseInvokeArg("inf", ValKind::kF64)->f64()));
  EXPECT_FALSE(ParseInvokeArg("1.5x", ValKind::kF64).ok());
  EXPECT_FALSE(ParseInvokeArg("1", ValKind::kFuncRef).ok());
}

TEST(FormatResultTest, LikeWasmtime) {
  EXPECT_EQ(FormatResult(Val::I32(-7)), "-7");
  EXPECT_EQ(FormatResult(Val::I64(1ll << 40)), "1099511627776");
  EXPECT_EQ(FormatResult(Val::F32(3.0f)), "3");
  EXPECT_EQ(FormatResult(Val::F64(1.5)), "1.5");
  EXPECT_EQ(FormatResult(Val::F64(0.1)), "0.1");
  EXPECT_EQ(FormatResult(Val::F32(0.1f)), "0.1");
  EXPECT_EQ(FormatResult(Val::F64(std::numeric_limits<double>::quiet_NaN())), "NaN");
  EXPECT_EQ(FormatResult(Val::F64(-std::numeric_limits<double>::infinity())), "-inf");
}

}  // namespace
}  // namespace weft::cli
