// Instantiates real third-party components with the full WASI 0.2 linker: the componentize-js
// wasi:http handler (12 MB, StarlingMonkey inside; wasi:http itself is not offered yet, so its
// 18 imports resolve with TrapUnknownImports) and the jco-adapted C hello world. Checks that
// instantiation succeeds, the expected exports are there, and a missing interface is named
// when unknown imports are not allowed to trap.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "wasi/p2/wasi_p2.h"
#include "weft/component.h"

namespace {

namespace cm = weft::component;
namespace p2 = weft::wasi::p2;

struct State {
  p2::WasiP2State wasi;
};
p2::WasiP2State& GetWasi(State& s) { return s.wasi; }

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

class Instantiate : public ::testing::Test {
 protected:
  weft::Engine engine;
  boost::asio::io_context io;

  // Compiles `file` from the components build dir, or skips when it was not built.
  std::optional<cm::Component> Load(const std::string& file) {
    auto bytes = ReadFile(std::string(WEFT_COMPONENTS_DIR) + "/" + file);
    if (bytes.empty()) return std::nullopt;
    auto c = cm::Component::Compile(engine, bytes);
    EXPECT_TRUE(c.ok()) << c.error().ToString();
    if (!c.ok()) return std::nullopt;
    return std::move(c).value();
  }
  weft::Expected<cm::Instance> Run(const cm::Component& c, weft::Store<State>& store,
                                   bool trap_unknown) {
    cm::Linker<State> linker(engine);
    linker.TrapUnknownImports(trap_unknown);
    if (weft::Error e = p2::AddAllToLinker<State, &GetWasi>(linker)) return e;
    auto pre = linker.InstantiatePre(c);
    if (!pre.ok()) return std::move(pre).error();
    return pre.value().Instantiate(store);
  }
  weft::Store<State> NewStore() {
    auto w = p2::WasiP2State::Create(io, p2::WasiP2Config{});
    EXPECT_TRUE(w.ok());
    return weft::Store<State>(engine, State{std::move(w).value()});
  }
};

TEST_F(Instantiate, ComponentizeJsHttpHandler) {
  auto c = Load("js-http.component.wasm");
  if (!c) GTEST_SKIP() << "js-http.component.wasm not built (componentize-js missing)";
  EXPECT_EQ(c->imports().size(), 18u);
  auto store = NewStore();
  auto missing = Run(*c, store, /*trap_unknown=*/false);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("wasi:http/types@0.2.10"), std::string::npos)
      << missing.error().message();

  auto inst = Run(*c, store, /*trap_unknown=*/true);
  ASSERT_TRUE(inst.ok()) << inst.error().ToString();
  auto handle = inst.value().GetFunc("wasi:http/incoming-handler@0.2.10", "handle");
  ASSERT_TRUE(handle.has_value());
  EXPECT_EQ(cm::TypeToString(handle->type()),
            "func(request: incoming-request, response-out: response-outparam)");
}

TEST_F(Instantiate, JcoAdaptedHelloTwiceInOneStore) {
  auto c = Load("hello.component.wasm");
  if (!c) GTEST_SKIP() << "hello.component.wasm not built (jco missing)";
  auto store = NewStore();
  for (int i = 0; i < 2; i++) {
    auto inst = Run(*c, store, /*trap_unknown=*/false);
    ASSERT_TRUE(inst.ok()) << inst.error().ToString();
    EXPECT_TRUE(inst.value().GetFunc("wasi:cli/run@0.2.0", "run").has_value());
  }
}

}  // namespace
