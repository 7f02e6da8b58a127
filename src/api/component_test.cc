// End-to-end tests of the component API: components written in component WAT under
// testdata/ (converted with `jco parse x.wat -o x.wasm`; both committed) instantiated against
// linkers with typed and dynamic host functions and resources, called from the host.
// Expected values are computed by hand from the WAT source next to each test.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>

#include "api/component_internal.h"
#include "weft/component.h"

namespace weft::component {
namespace {

std::string TestData(const std::string& name) {
  return std::string(WEFT_TEST_SRC_DIR) + "/testdata/" + name;
}

struct State {
  std::vector<std::string> log;
  std::vector<uint32_t> dropped;
  int greets = 0;
};

class ComponentTest : public ::testing::Test {
 protected:
  Component Load(const std::string& name) {
    auto c = Component::FromFile(engine_, TestData(name));
    EXPECT_TRUE(c.ok()) << c.error().ToString();
    return c.ok() ? *c : Component();
  }
  Instance Inst(Linker<State>& linker, const Component& c) {
    auto pre = linker.InstantiatePre(c);
    EXPECT_TRUE(pre.ok()) << pre.error().ToString();
    if (!pre.ok()) return Instance();
    auto inst = pre->Instantiate(store_);
    EXPECT_TRUE(inst.ok()) << inst.error().ToString();
    return inst.ok() ? *inst : Instance();
  }
  Expected<std::vector<Val>> Call(const Instance& inst, std::string_view name,
                                  std::vector<Val> params) {
    auto f = inst.GetFunc(name);
    if (!f) return Error::Make(ErrorCode::kArgument, "no export " + std::string(name));
    std::vector<Val> results;
    Error e = f->Call(store_, params, results);
    if (!e.ok()) return e;
    return results;
  }
  Engine engine_;
  Store<State> store_{engine_};
};

// --- component_basic.wat -----------------------------------------------------------------

TEST_F(ComponentTest, IntegersAndExports) {
  Linker<State> linker(engine_);
  Component c = Load("component_basic.wasm");
  Instance inst = Inst(linker, c);
  ASSERT_FALSE(inst.is_null());
  auto r = Call(inst, "add", {Val::U32(40), Val::U32(2)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].kind, TypeKind::kU32);
  EXPECT_EQ((*r)[0].bits, 42u);
  // u32 wrap-around: 0xffffffff + 3 = 2.
  r = Call(inst, "add", {Val::U32(0xffffffffu), Val::U32(3)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].bits, 2u);
  bool saw_upper = false;
  for (const ExternDesc& d : inst.exports()) saw_upper |= d.name == "upper";
  EXPECT_TRUE(saw_upper);
  // Argument checking.
  r = Call(inst, "add", {Val::U32(1)});
  EXPECT_EQ(r.error().code(), ErrorCode::kArgument);
  r = Call(inst, "add", {Val::U32(1), Val::String("x")});
  EXPECT_EQ(r.error().code(), ErrorCode::kArgument);
}

TEST_F(ComponentTest, StringsAndPostReturn) {
  Linker<State> linker(engine_);
  Instance inst = Inst(linker, Load("component_basic.wasm"));
  ASSERT_FALSE(inst.is_null());
  auto r = Call(inst, "upper", {Val::String("hello, wörld")});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].str, "HELLO, WöRLD");
  r = Call(inst, "upper", {Val::String("")});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].str, "");
  // post-return ran once per call of `upper` (and not for `posts`, which has none).
  r = Call(inst, "posts", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].bits, 2u);
}

TEST_F(ComponentTest, ListsOfRecords) {
  Linker<State> linker(engine_);
  Instance inst = Inst(linker, Load("component_basic.wasm"));
  ASSERT_FALSE(inst.is_null());
  auto pt = [](int32_t x, int32_t y) {
    return Val::Aggregate(TypeKind::kRecord, {Val::S32(x), Val::S32(y)});
  };
  // sum of x + 10*y: (1 + 20) + (-3 + 0) + (5 - 70) = -47
  auto r = Call(inst, "sum-points",
                {Val::Aggregate(TypeKind::kList, {pt(1, 2), pt(-3, 0), pt(5, -7)})});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(static_cast<int64_t>((*r)[0].bits), -47);
  r = Call(inst, "make-points", {Val::U32(3)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const Val& l = (*r)[0];
  ASSERT_EQ(l.items.size(), 3u);
  EXPECT_EQ(l.items[2].items[0].bits, 2u);
  EXPECT_EQ(static_cast<int64_t>(l.items[2].items[1].bits), -2);
  auto bytes = TypedFunc<std::tuple<std::vector<uint8_t>>, uint32_t>::Make(*inst.GetFunc("byte-len"));
  ASSERT_TRUE(bytes.ok()) << bytes.error().ToString();
  auto n = bytes->Call(store_, std::vector<uint8_t>(70000, 1));
  ASSERT_TRUE(n.ok()) << n.error().ToString();
  EXPECT_EQ(*n, 70000u);
}

TEST_F(ComponentTest, SpilledParameters) {
  Linker<State> linker(engine_);
  Instance inst = Inst(linker, Load("component_basic.wasm"));
  ASSERT_FALSE(inst.is_null());
  std::vector<Val> ps;
  uint32_t want = 0;
  for (uint32_t i = 0; i < 17; ++i) {
    ps.push_back(Val::U32(100 + i));
    want += (i + 1) * (100 + i);
  }
  auto r = Call(inst, "many", ps);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].bits, want);
}

TEST_F(ComponentTest, OptionResultVariant) {
  Linker<State> linker(engine_);
  Instance inst = Inst(linker, Load("component_basic.wasm"));
  ASSERT_FALSE(inst.is_null());
  auto r = Call(inst, "maybe", {Val::Aggregate(TypeKind::kOption, {Val::U32(21)}, 1)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].kind, TypeKind::kResult);
  EXPECT_EQ((*r)[0].bits, 0u);
  EXPECT_EQ((*r)[0].items.at(0).bits, 42u);
  r = Call(inst, "maybe", {Val::Aggregate(TypeKind::kOption, {}, 0)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].bits, 1u);
  EXPECT_EQ((*r)[0].items.at(0).str, "none");

  r = Call(inst, "classify", {Val::Aggregate(TypeKind::kVariant, {Val::U32(9)}, 0)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].bits, 9u);
  r = Call(inst, "classify", {Val::Aggregate(TypeKind::kVariant, {Val::String("abcde")}, 1)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].bits, 1005u);
  r = Call(inst, "classify", {Val::Aggregate(TypeKind::kVariant, {}, 2)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].bits, 7777u);
}

TEST_F(ComponentTest, GuestTrap) {
  Linker<State> linker(engine_);
  Instance inst = Inst(linker, Load("component_basic.wasm"));
  ASSERT_FALSE(inst.is_null());
  auto r = Call(inst, "boom", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kTrap);
  EXPECT_NE(r.error().message().find("unreachable"), std::string::npos) << r.error().message();
  // The instance stays usable after a trap.
  r = Call(inst, "add", {Val::U32(1), Val::U32(2)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].bits, 3u);
}

TEST_F(ComponentTest, TypedFunc) {
  Linker<State> linker(engine_);
  Instance inst = Inst(linker, Load("component_basic.wasm"));
  ASSERT_FALSE(inst.is_null());
  auto add = TypedFunc<std::tuple<uint32_t, uint32_t>, uint32_t>::Make(*inst.GetFunc("add"));
  ASSERT_TRUE(add.ok()) << add.error().ToString();
  auto r = add->Call(store_, 5, 6);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 11u);
  auto upper = TypedFunc<std::tuple<std::string>, std::string>::Make(*inst.GetFunc("upper"));
  ASSERT_TRUE(upper.ok()) << upper.error().ToString();
  EXPECT_EQ(*upper->Call(store_, "abc"), "ABC");
  auto maybe = TypedFunc<std::tuple<std::optional<uint32_t>>, Result<uint32_t, std::string>>::Make(
      *inst.GetFunc("maybe"));
  ASSERT_TRUE(maybe.ok()) << maybe.error().ToString();
  auto m = maybe->Call(store_, std::nullopt);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->ok());
  EXPECT_EQ(m->error(), "none");
  auto wrong = TypedFunc<std::tuple<uint32_t>, uint32_t>::Make(*inst.GetFunc("add"));
  EXPECT_FALSE(wrong.ok());
  auto boom = TypedFunc<std::tuple<>, void>::Make(*inst.GetFunc("boom"));
  ASSERT_TRUE(boom.ok());
  EXPECT_EQ(boom->Call(store_).error().code(), ErrorCode::kTrap);
}

// --- component_imports.wat ----------------------------------------------------------------

// Defines everything component_imports.wat imports; `greet` typed or dynamic.
void DefineImports(Linker<State>& linker, bool dynamic_greet, std::string_view version,
                   std::string prefix = "hello, ", bool root = true) {
  if (root) {
    ASSERT_TRUE(linker.Root().FuncWrap("double", [](uint32_t x) { return x * 2; }).ok());
    ASSERT_TRUE(linker.Root().FuncWrap("nop", []() {}).ok());
  }
  auto api = linker.Instance(std::string("test:host/api@") + std::string(version));
  if (dynamic_greet) {
    ASSERT_TRUE(api.FuncNew("greet", [prefix](HostContext& cx, std::span<const Val> params,
                                              std::span<Val> results) -> Error {
                      cx.data<State>().greets++;
                      results[0] = Val::String(prefix + params[0].str);
                      return Error();
                    }).ok());
  } else {
    ASSERT_TRUE(api.FuncWrap("greet", [prefix](State& s, const std::string& name) {
                      s.greets++;
                      return prefix + name;
                    }).ok());
  }
  ASSERT_TRUE(api.FuncWrap("log", [](State& s, std::string msg) { s.log.push_back(msg); }).ok());
}

TEST_F(ComponentTest, HostFunctionsTypedAndDynamic) {
  for (bool dynamic : {false, true}) {
    Linker<State> linker(engine_);
    DefineImports(linker, dynamic, "0.2.0");
    ASSERT_TRUE(linker.Root().FuncWrap("reenter", []() {}).ok());
    Instance inst = Inst(linker, Load("component_imports.wasm"));
    ASSERT_FALSE(inst.is_null());
    auto r = Call(inst, "call-double", {Val::U32(20)});
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ((*r)[0].bits, 41u);
    store_.data().log.clear();
    r = Call(inst, "greet", {Val::String("wörld")});
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ((*r)[0].str, "hello, wörld");
    ASSERT_EQ(store_.data().log.size(), 1u);
    EXPECT_EQ(store_.data().log[0], "hello, wörld");
  }
  EXPECT_EQ(store_.data().greets, 2);
}

TEST_F(ComponentTest, SemverInstanceMatching) {
  Linker<State> linker(engine_);
  // The import is test:host/api@0.2.0: 0.2.12 (highest compatible) wins over 0.2.5; 0.3.0
  // and 1.0.0 are incompatible.
  DefineImports(linker, false, "0.2.5", "v0.2.5 ");
  DefineImports(linker, false, "0.3.0", "v0.3.0 ", false);
  DefineImports(linker, false, "0.2.12", "v0.2.12 ", false);
  ASSERT_TRUE(linker.Root().FuncWrap("reenter", []() {}).ok());
  Instance inst = Inst(linker, Load("component_imports.wasm"));
  ASSERT_FALSE(inst.is_null());
  auto r = Call(inst, "greet", {Val::String("x")});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].str, "v0.2.12 x");

  Linker<State> l2(engine_);
  ASSERT_TRUE(l2.Root().FuncWrap("double", [](uint32_t x) { return x; }).ok());
  ASSERT_TRUE(l2.Root().FuncWrap("nop", []() {}).ok());
  ASSERT_TRUE(l2.Root().FuncWrap("reenter", []() {}).ok());
  l2.Instance("test:host/api@0.3.0");
  l2.Instance("test:host/api@1.0.0");
  l2.Instance("test:host/api");
  auto pre = l2.InstantiatePre(Load("component_imports.wasm"));
  ASSERT_FALSE(pre.ok());
  EXPECT_EQ(pre.error().message(),
            "component imports `test:host/api@0.2.0`, which the linker does not define");
}

TEST_F(ComponentTest, MissingImportErrors) {
  Component c = Load("component_imports.wasm");
  {
    Linker<State> linker(engine_);
    DefineImports(linker, false, "0.2.0");
    auto pre = linker.InstantiatePre(c);
    ASSERT_FALSE(pre.ok());
    EXPECT_EQ(pre.error().code(), ErrorCode::kUnlinkable);
    EXPECT_EQ(pre.error().message(),
              "component imports `reenter`, which the linker does not define");
  }
  {
    Linker<State> linker(engine_);
    ASSERT_TRUE(linker.Root().FuncWrap("double", [](uint32_t x) { return x; }).ok());
    ASSERT_TRUE(linker.Root().FuncWrap("nop", []() {}).ok());
    ASSERT_TRUE(linker.Root().FuncWrap("reenter", []() {}).ok());
    ASSERT_TRUE(linker.Instance("test:host/api@0.2.1").FuncWrap("log", [](std::string) {}).ok());
    auto pre = linker.InstantiatePre(c);
    ASSERT_FALSE(pre.ok());
    EXPECT_EQ(pre.error().message(),
              "component imports `test:host/api@0.2.0` (function `greet`), which the linker "
              "does not define");
  }
  {
    // A typed definition of the wrong type.
    Linker<State> linker(engine_);
    DefineImports(linker, false, "0.2.0");
    ASSERT_TRUE(linker.Root().FuncWrap("reenter", [](uint32_t) {}).ok());
    auto pre = linker.InstantiatePre(c);
    ASSERT_FALSE(pre.ok());
    EXPECT_EQ(pre.error().code(), ErrorCode::kUnlinkable);
    EXPECT_NE(pre.error().message().find("component imports `reenter` with type func()"),
              std::string::npos)
        << pre.error().message();
  }
  {
    // TrapUnknownImports: instantiation succeeds; calling a missing import traps.
    Linker<State> linker(engine_);
    linker.TrapUnknownImports(true);
    Instance inst = Inst(linker, c);
    ASSERT_FALSE(inst.is_null());
    auto r = Call(inst, "call-double", {Val::U32(1)});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ErrorCode::kTrap);
    EXPECT_NE(r.error().message().find("unknown import `double` called"), std::string::npos)
        << r.error().message();
    r = Call(inst, "greet", {Val::String("x")});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("unknown import `test:host/api@0.2.0#greet` called"),
              std::string::npos)
        << r.error().message();
  }
}

TEST_F(ComponentTest, ReentryTraps) {
  Linker<State> linker(engine_);
  DefineImports(linker, false, "0.2.0");
  Func* self = nullptr;
  ASSERT_TRUE(linker.Root()
                  .FuncWrap("reenter",
                            [&self](HostContext& cx) -> Error {
                              std::vector<Val> results;
                              return self->Call(cx.store(), {}, results);
                            })
                  .ok());
  Instance inst = Inst(linker, Load("component_imports.wasm"));
  ASSERT_FALSE(inst.is_null());
  Func f = *inst.GetFunc("reenter");
  self = &f;
  std::vector<Val> results;
  Error e = f.Call(store_, {}, results);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.code(), ErrorCode::kTrap);
  EXPECT_NE(e.message().find("cannot enter component instance"), std::string::npos) << e.message();
  // After the trap the instance can be entered again.
  auto r = Call(inst, "call-double", {Val::U32(2)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].bits, 5u);
}

TEST_F(ComponentTest, HostErrorTrapsGuest) {
  Linker<State> linker(engine_);
  DefineImports(linker, false, "0.2.0");
  ASSERT_TRUE(linker.Root()
                  .FuncWrap("reenter",
                            []() -> Error { return Error::Make(ErrorCode::kTrap, "host says no"); })
                  .ok());
  Instance inst = Inst(linker, Load("component_imports.wasm"));
  ASSERT_FALSE(inst.is_null());
  auto r = Call(inst, "reenter", {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("host says no"), std::string::npos) << r.error().message();
}

TEST_F(ComponentTest, HostExitEndsGuest) {
  Linker<State> linker(engine_);
  DefineImports(linker, false, "0.2.0");
  ASSERT_TRUE(linker.Root().FuncWrap("reenter", []() -> Error { return Error::Exit(3); }).ok());
  Instance inst = Inst(linker, Load("component_imports.wasm"));
  ASSERT_FALSE(inst.is_null());
  auto r = Call(inst, "reenter", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kExit);
  EXPECT_EQ(r.error().exit_status(), 3);
}

// --- component_resources.wat --------------------------------------------------------------

struct File {};

void DefineFiles(Linker<State>& linker) {
  auto files = linker.Instance("test:res/files@1.0.2");
  ASSERT_TRUE(files.DefineResource<File>("file", [](State& s, uint32_t rep) {
                     s.dropped.push_back(rep);
                   }).ok());
  ASSERT_TRUE(files.FuncWrap("open", [](State& s, std::string name) {
                     s.log.push_back(name);
                     return Resource<File>{static_cast<uint32_t>(s.log.size() - 1)};
                   }).ok());
  ASSERT_TRUE(files.FuncWrap("[method]file.name", [](State& s, Borrow<File> f) -> Expected<std::string> {
                     if (f.rep >= s.log.size()) return Error::Make(ErrorCode::kTrap, "bad file");
                     return "file:" + s.log[f.rep];
                   }).ok());
}

TEST_F(ComponentTest, HostResources) {
  Linker<State> linker(engine_);
  DefineFiles(linker);
  Instance inst = Inst(linker, Load("component_resources.wasm"));
  ASSERT_FALSE(inst.is_null());
  State& s = store_.data();
  // Created, borrowed and dropped inside the guest: the host dtor sees rep 0.
  auto r = Call(inst, "open-name", {Val::String("a")});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].str, "file:a");
  EXPECT_EQ(s.dropped, std::vector<uint32_t>{0});
  // Out to the host as an own, then back in as an own (the guest drops it).
  r = Call(inst, "give", {Val::String("b")});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ((*r)[0].kind, TypeKind::kOwn);
  ResourceAny file_b = (*r)[0].resource;
  EXPECT_EQ(file_b.type, HostResourceType<File>());
  EXPECT_EQ(file_b.rep, 1u);
  EXPECT_EQ(s.dropped.size(), 1u);
  // Borrowed in: the guest must drop the borrow handle before returning.
  r = Call(inst, "peek", {Val::Borrow(file_b)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].str, "file:b");
  EXPECT_EQ(s.dropped.size(), 1u);  // dropping a borrow runs no dtor
  r = Call(inst, "peek-leak", {Val::Borrow(file_b)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("borrow handles still remain"), std::string::npos)
      << r.error().message();
  r = Call(inst, "take", {Val::Own(file_b)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].str, "file:b");
  EXPECT_EQ(s.dropped, (std::vector<uint32_t>{0, 1}));
  // An own the host received and drops itself: the host dtor runs with that rep.
  r = Call(inst, "give", {Val::String("c")});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(ResourceDrop(store_, (*r)[0].resource).ok());
  EXPECT_EQ(s.dropped, (std::vector<uint32_t>{0, 1, 2}));
  // A resource of another type is refused.
  r = Call(inst, "take", {Val::Own(ResourceAny{HostResourceType<State>(), 0})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kTrap);
}

// Two InstancePres whose linkers give the same host resource type different dtors, in one
// store: the dtor is the one of the InstancePre instantiated last (each instantiation
// registers its linker's), before and after the second InstancePre arrives.
TEST_F(ComponentTest, HostResourceDtorOfTheLastInstancePre) {
  Component c = Load("component_resources.wasm");
  auto make = [&](Linker<State>& linker, void (*dtor)(State&, uint32_t)) {
    auto files = linker.Instance("test:res/files@1.0.2");
    ASSERT_TRUE(files.DefineResource<File>("file", dtor).ok());
    ASSERT_TRUE(files.FuncWrap("open", [](State& s, std::string name) {
                       s.log.push_back(name);
                       return Resource<File>{static_cast<uint32_t>(s.log.size() - 1)};
                     }).ok());
    ASSERT_TRUE(files.FuncWrap("[method]file.name", [](State& s, Borrow<File> f) {
                       return "file:" + s.log[f.rep];
                     }).ok());
  };
  Linker<State> linker_a(engine_), linker_b(engine_);
  make(linker_a, [](State& s, uint32_t rep) { s.dropped.push_back(100 + rep); });
  make(linker_b, [](State& s, uint32_t rep) { s.dropped.push_back(200 + rep); });
  auto pre_a = linker_a.InstantiatePre(c);
  auto pre_b = linker_b.InstantiatePre(c);
  ASSERT_TRUE(pre_a.ok() && pre_b.ok());
  State& s = store_.data();
  auto inst_a = pre_a->Instantiate(store_);
  ASSERT_TRUE(inst_a.ok()) << inst_a.error().ToString();
  ASSERT_TRUE(Call(*inst_a, "open-name", {Val::String("a")}).ok());  // rep 0, A's dtor
  EXPECT_EQ(s.dropped, std::vector<uint32_t>{100});
  auto inst_b = pre_b->Instantiate(store_);
  ASSERT_TRUE(inst_b.ok()) << inst_b.error().ToString();
  ASSERT_TRUE(Call(*inst_a, "open-name", {Val::String("b")}).ok());  // rep 1, now B's
  EXPECT_EQ(s.dropped, (std::vector<uint32_t>{100, 201}));
  auto inst_a2 = pre_a->Instantiate(store_);
  ASSERT_TRUE(inst_a2.ok()) << inst_a2.error().ToString();
  ASSERT_TRUE(Call(*inst_b, "open-name", {Val::String("c")}).ok());  // rep 2, A's again
  EXPECT_EQ(s.dropped, (std::vector<uint32_t>{100, 201, 102}));
  // A host-side drop finds the same registration.
  auto r = Call(*inst_b, "give", {Val::String("d")});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(ResourceDrop(store_, (*r)[0].resource).ok());
  EXPECT_EQ(s.dropped, (std::vector<uint32_t>{100, 201, 102, 103}));
}

TEST_F(ComponentTest, MissingResourceOrMethod) {
  Linker<State> linker(engine_);
  auto files = linker.Instance("test:res/files@1.0.0");
  ASSERT_TRUE(files.DefineResource<File>("file").ok());
  ASSERT_TRUE(files.FuncWrap("open", [](std::string) { return Resource<File>{0}; }).ok());
  auto pre = linker.InstantiatePre(Load("component_resources.wasm"));
  ASSERT_FALSE(pre.ok());
  EXPECT_EQ(pre.error().message(),
            "component imports `test:res/files@1.0.0` (function `[method]file.name`), which the "
            "linker does not define");
  Linker<State> l2(engine_);
  ASSERT_TRUE(l2.Instance("test:res/files@1.0.0").FuncWrap("open", [](std::string) {}).ok());
  pre = l2.InstantiatePre(Load("component_resources.wasm"));
  ASSERT_FALSE(pre.ok());
  EXPECT_EQ(pre.error().message(),
            "component imports `test:res/files@1.0.0` (resource `file`), which the linker does "
            "not define");
  // A typed function using another host resource type does not match.
  struct Other {};
  Linker<State> l3(engine_);
  auto f3 = l3.Instance("test:res/files@1.0.0");
  ASSERT_TRUE(f3.DefineResource<File>("file").ok());
  ASSERT_TRUE(f3.FuncWrap("open", [](std::string) { return Resource<Other>{0}; }).ok());
  ASSERT_TRUE(f3.FuncWrap("[method]file.name", [](Borrow<File>) { return std::string(); }).ok());
  pre = l3.InstantiatePre(Load("component_resources.wasm"));
  ASSERT_FALSE(pre.ok());
  EXPECT_NE(pre.error().message().find("(function `open`)"), std::string::npos)
      << pre.error().message();
}

TEST_F(ComponentTest, GuestResources) {
  Linker<State> linker(engine_);
  DefineFiles(linker);
  Instance inst = Inst(linker, Load("component_resources.wasm"));
  ASSERT_FALSE(inst.is_null());
  auto r = Call(inst, "new-counter", {Val::U32(77)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ((*r)[0].kind, TypeKind::kOwn);
  ResourceAny c = (*r)[0].resource;
  EXPECT_EQ(c.rep, 77u);
  EXPECT_NE(c.type, HostResourceType<File>());
  // A borrow of the guest's own resource arrives as its rep.
  r = Call(inst, "counter-value", {Val::Borrow(c)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].bits, 77u);
  r = Call(inst, "drops", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].bits, 0u);
  // Passing the own back: resource.drop runs the guest dtor with the rep.
  r = Call(inst, "consume-counter", {Val::Own(c)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].bits, 77u);
  r = Call(inst, "drops", {});
  EXPECT_EQ((*r)[0].bits, 1u);
  r = Call(inst, "last-drop", {});
  EXPECT_EQ(static_cast<int64_t>((*r)[0].bits), 77);
  // The host drops an own it holds: the guest dtor runs.
  r = Call(inst, "new-counter", {Val::U32(5)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(ResourceDrop(store_, (*r)[0].resource).ok());
  r = Call(inst, "drops", {});
  EXPECT_EQ((*r)[0].bits, 2u);
  r = Call(inst, "last-drop", {});
  EXPECT_EQ(static_cast<int64_t>((*r)[0].bits), 5);
  EXPECT_EQ(ResourceDrop(store_, ResourceAny{HostResourceType<int>(), 1}).code(),
            ErrorCode::kArgument);
  // A second instantiation has its own resource type: its counters are not ours.
  Instance other = Inst(linker, Load("component_resources.wasm"));
  r = Call(other, "counter-value", {Val::Borrow(c)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kTrap);
}

// --- component_nested.wat -----------------------------------------------------------------

TEST_F(ComponentTest, NestedComponents) {
  Linker<State> linker(engine_);
  ASSERT_TRUE(linker.Root().FuncWrap("double", [](uint32_t x) { return 2 * x; }).ok());
  Instance inst = Inst(linker, Load("component_nested.wasm"));
  ASSERT_FALSE(inst.is_null());
  auto g = inst.GetFunc("inner", "g");
  ASSERT_TRUE(g.has_value());
  std::vector<Val> results;
  ASSERT_TRUE(g->Call(store_, std::vector<Val>{Val::U32(10)}, results).ok());
  EXPECT_EQ(results.at(0).bits, 21u);  // double(10) + 1
  auto r = Call(inst, "g2", {Val::U32(10)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].bits, 22u);  // (double(10) + 1) + 1 through the other instance
  r = Call(inst, "val-plus-one", {});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].bits, 42u);
  EXPECT_FALSE(inst.GetFunc("inner", "nope").has_value());
  EXPECT_FALSE(inst.GetFunc("nope", "g").has_value());
}

TEST_F(ComponentTest, ResourcesAcrossNestedComponents) {
  Linker<State> linker(engine_);
  Instance inst = Inst(linker, Load("component_nested_resources.wasm"));
  ASSERT_FALSE(inst.is_null());
  // $use makes a thing in $def, lends it back to $def, drops it: $def's dtor runs once.
  auto r = Call(inst, "roundtrip", {Val::U32(41)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].bits, 42u);
  r = Call(inst, "drops", {});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].bits, 1u);
  // The host holds a thing made by $def and gives it to $use, which drops it.
  r = Call(inst, "make", {Val::U32(7)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ResourceAny thing = (*r)[0].resource;
  EXPECT_EQ(thing.rep, 7u);
  r = Call(inst, "describe", {Val::Own(thing)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].bits, 70u);
  r = Call(inst, "drops", {});
  EXPECT_EQ((*r)[0].bits, 2u);
}

// --- async --------------------------------------------------------------------------------

TEST_F(ComponentTest, CallAsyncWithSuspendingHost) {
  Linker<State> linker(engine_);
  DefineImports(linker, false, "0.2.0");
  ASSERT_TRUE(linker.Root().FuncWrap("reenter", [](HostContext& cx) { return cx.Suspend(); }).ok());
  Instance inst = Inst(linker, Load("component_imports.wasm"));
  ASSERT_FALSE(inst.is_null());
  Func f = *inst.GetFunc("reenter");
  auto call = f.CallAsync(store_, {});
  ASSERT_TRUE(call.ok()) << call.error().ToString();
  EXPECT_EQ((*call)->state(), AsyncCall::State::kSuspended);
  // While suspended, the instance cannot be entered.
  auto r = Call(inst, "call-double", {Val::U32(1)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ((*call)->Resume(), AsyncCall::State::kDone);
  std::vector<Val> results;
  ASSERT_TRUE(f.FinishAsync(store_, **call, results).ok());
  EXPECT_TRUE(results.empty());
  auto g = inst.GetFunc("greet");
  auto gc = g->CallAsync(store_, {Val::String("async")});
  ASSERT_TRUE(gc.ok());
  ASSERT_EQ((*gc)->state(), AsyncCall::State::kDone);
  ASSERT_TRUE(g->FinishAsync(store_, **gc, results).ok());
  EXPECT_EQ(results.at(0).str, "hello, async");
}

TEST_F(ComponentTest, UnsupportedAsyncFeatures) {
  Linker<State> linker(engine_);
  for (const char* name : {"component_async_lift.wasm", "component_waitable.wasm"}) {
    auto c = Component::FromFile(engine_, TestData(name));
    if (!c.ok()) {
      // The validator may already refuse it; then it must say why, not crash.
      EXPECT_FALSE(c.error().message().empty());
      continue;
    }
    auto pre = linker.InstantiatePre(*c);
    ASSERT_TRUE(pre.ok()) << pre.error().ToString();
    auto inst = pre->Instantiate(store_);
    ASSERT_FALSE(inst.ok()) << name;
    EXPECT_EQ(inst.error().code(), ErrorCode::kUnlinkable);
    EXPECT_NE(inst.error().message().find("unsupported canonical"), std::string::npos)
        << inst.error().message();
  }
  auto c = Component::FromFile(engine_, TestData("component_waitable.wasm"));
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  auto inst = linker.InstantiatePre(*c)->Instantiate(store_);
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.error().message(), "unsupported canonical built-in `waitable-set.new`");
}

// --- a real jco-made command component ---------------------------------------------------

TEST_F(ComponentTest, HelloCommandSmoke) {
  // The decoder's copy of /tmp/jcotry/hello.cm.wasm (a C hello world + the WASI adapter).
  auto c = Component::FromFile(engine_, TestData("../../component/testdata/hello.cm.wasm"));
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  Linker<State> linker(engine_);
  auto strict = linker.InstantiatePre(*c);
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.error().message(),
            "component imports `wasi:cli/environment@0.2.12`, which the linker does not define");
  linker.TrapUnknownImports(true);
  auto t0 = std::chrono::steady_clock::now();
  Instance inst = Inst(linker, *c);
  auto t1 = std::chrono::steady_clock::now();
  ASSERT_FALSE(inst.is_null());
  std::printf("hello.cm.wasm instantiation: %.1f us\n",
              std::chrono::duration<double, std::micro>(t1 - t0).count());
  auto run = inst.GetFunc("wasi:cli/run@0.2.0", "run");  // semver-matched to @0.2.12
  ASSERT_TRUE(run.has_value());
  std::vector<Val> results;
  Error e = run->Call(store_, {}, results);
  // The adapter's first WASI call reaches a trapping stand-in.
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.code(), ErrorCode::kTrap);
  EXPECT_NE(e.message().find("unknown import `wasi:"), std::string::npos) << e.message();
}

}  // namespace
}  // namespace weft::component
