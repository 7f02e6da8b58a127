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
  std::string here = __FILE__;
  return here.substr(0, here.rfind('/')) + "/testdata/" + name;
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

}  // namespace
}  // namespace weft::component
