// Minimal GoogleTest stand-in (TEST, EXPECT_EQ, ADD_FAILURE) for building simd_test.cc
// where GoogleTest is not available (wasm32-wasi, see run-wasm32.sh).
#pragma once
#include <cstdio>
#include <iostream>
#include <sstream>
#include <vector>
namespace shim {
struct Test { const char* name; void (*fn)(); };
inline std::vector<Test>& Tests() { static std::vector<Test> t; return t; }
inline int& Failures() { static int f; return f; }
struct Reg { Reg(const char* n, void (*f)()) { Tests().push_back({n, f}); } };
struct Fail {
  std::ostringstream os;
  Fail(const char* file, int line) { os << file << ":" << line << ": "; }
  ~Fail() { std::cout << "FAIL " << os.str() << "\n"; ++Failures(); }
  template <typename T> Fail& operator<<(const T& x) { os << x; return *this; }
};
struct Null { template <typename T> Null& operator<<(const T&) { return *this; } };
}  // namespace shim
#define TEST(S, N) \
  static void S##_##N(); static shim::Reg reg_##S##_##N(#S "." #N, S##_##N); static void S##_##N()
#define ADD_FAILURE() shim::Fail(__FILE__, __LINE__)
#define EXPECT_EQ(a, b) if ((a) == (b)) {} else shim::Fail(__FILE__, __LINE__) << #a " != " #b " "
int main() {
  for (auto& t : shim::Tests()) { int before = shim::Failures(); t.fn(); std::cout << (shim::Failures() == before ? "ok   " : "FAIL ") << t.name << "\n"; }
  std::cout << shim::Failures() << " failures\n";
  return shim::Failures() != 0;
}
