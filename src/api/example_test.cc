// Keeps the embedding example of README.md and docs/api.md true: the same code, compiled and
// run against a module with an `env.log` import and an `add` export.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "api/test_util.h"
#include "weft/weft.h"

namespace {

// ---- The example, verbatim except for the function name and the file name parameter. ----
int ExampleMain(const char* path) {
  weft::Engine engine;
  auto module = weft::Module::FromFile(engine, path);
  if (!module) { fprintf(stderr, "%s\n", module.error().ToString().c_str()); return 1; }

  struct State { int calls = 0; };
  weft::Store<State> store(engine);
  weft::Linker<State> linker(engine);
  (void)linker.FuncWrap("env", "log", [](weft::Caller<State>& caller, int32_t v) {
    caller.data().calls++;
    printf("guest says %d\n", v);
  });
  auto instance = linker.Instantiate(store, *module);
  if (!instance) { fprintf(stderr, "%s\n", instance.error().ToString().c_str()); return 1; }

  auto add = weft::TypedFunc<std::tuple<int32_t, int32_t>, int32_t>::Make(*instance->GetFunc("add"));
  auto sum = add->Call(store, 2, 3);   // a trap comes back as an Error with a backtrace
  printf("2 + 3 = %d after %d host calls\n", *sum, store.data().calls);
  return *sum == 5 && store.data().calls == 1 ? 0 : 2;
}
// ---- End of the example. ----

TEST(Example, EmbeddingInTwentyLines) {
  auto bytes = weft::testing::Wat(R"((module
    (import "env" "log" (func $log (param i32)))
    (func (export "add") (param i32 i32) (result i32)
      (call $log (local.get 0))
      (i32.add (local.get 0) (local.get 1))))
  )");
  ASSERT_FALSE(bytes.empty());
  std::string path = ::testing::TempDir() + "weft-example-add.wasm";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  EXPECT_EQ(ExampleMain(path.c_str()), 0);
  EXPECT_EQ(ExampleMain("/nonexistent/add.wasm"), 1);
}

}  // namespace
