// Tests of the compile-time component type mappings (component_traits.h): the types the
// built-in ValTraits and the record/enum macros produce, value round trips, typed host
// function wrapping (signature and invocation), and structural type matching.
#include <gtest/gtest.h>

#include "api/component_internal.h"
#include "weft/component.h"

namespace {

struct Point {
  int32_t x = 0;
  int32_t y_pos = 0;
};
struct Shape {
  std::string shape_name;
  std::vector<Point> points;
  std::optional<uint8_t> tag;
};
enum class Color { kRed, kDarkGreen, kBlue };
struct HostFile {};

}  // namespace

WEFT_COMPONENT_RECORD(Point, x, y_pos);
WEFT_COMPONENT_RECORD(Shape, shape_name, points, tag);
WEFT_COMPONENT_ENUM(Color, "red", "dark-green", "blue");

namespace weft::component {
namespace {

template <typename X>
TypeRef T() {
  return ValTraits<X>::Type();
}

TEST(ComponentTraits, PrimitiveTypes) {
  EXPECT_EQ(T<bool>()->kind, TypeKind::kBool);
  EXPECT_EQ(T<int8_t>()->kind, TypeKind::kS8);
  EXPECT_EQ(T<uint8_t>()->kind, TypeKind::kU8);
  EXPECT_EQ(T<int16_t>()->kind, TypeKind::kS16);
  EXPECT_EQ(T<uint16_t>()->kind, TypeKind::kU16);
  EXPECT_EQ(T<int32_t>()->kind, TypeKind::kS32);
  EXPECT_EQ(T<uint32_t>()->kind, TypeKind::kU32);
  EXPECT_EQ(T<int64_t>()->kind, TypeKind::kS64);
  EXPECT_EQ(T<uint64_t>()->kind, TypeKind::kU64);
  EXPECT_EQ(T<float>()->kind, TypeKind::kF32);
  EXPECT_EQ(T<double>()->kind, TypeKind::kF64);
  EXPECT_EQ(T<char32_t>()->kind, TypeKind::kChar);
  EXPECT_EQ(T<std::string>()->kind, TypeKind::kString);
  EXPECT_EQ(T<uint32_t>(), PrimitiveType(TypeKind::kU32));
}

TEST(ComponentTraits, PrimitiveValues) {
  EXPECT_EQ(ValTraits<int8_t>::ToVal(-3).bits, static_cast<uint64_t>(int64_t{-3}));
  EXPECT_EQ(ValTraits<int8_t>::FromVal(ValTraits<int8_t>::ToVal(-3)), -3);
  EXPECT_EQ(ValTraits<uint16_t>::FromVal(Val::U16(65535)), 65535);
  EXPECT_EQ(ValTraits<int64_t>::FromVal(Val::S64(INT64_MIN)), INT64_MIN);
  EXPECT_EQ(ValTraits<float>::FromVal(ValTraits<float>::ToVal(1.5f)), 1.5f);
  EXPECT_EQ(ValTraits<double>::FromVal(ValTraits<double>::ToVal(-2.25)), -2.25);
  EXPECT_EQ(ValTraits<char32_t>::ToVal(U'\U0001F600').bits, 0x1F600u);
  EXPECT_EQ(ValTraits<bool>::ToVal(true).kind, TypeKind::kBool);
  EXPECT_TRUE(ValTraits<bool>::FromVal(Val::Bool(true)));
  EXPECT_EQ(ValTraits<std::string>::FromVal(ValTraits<std::string>::ToVal("héllo")), "héllo");
}

TEST(ComponentTraits, ContainerTypesAreCached) {
  TypeRef l = T<std::vector<std::string>>();
  EXPECT_EQ(l->kind, TypeKind::kList);
  EXPECT_EQ(l->elem->kind, TypeKind::kString);
  EXPECT_EQ(l, T<std::vector<std::string>>());
  TypeRef o = T<std::optional<uint32_t>>();
  EXPECT_EQ(o->kind, TypeKind::kOption);
  EXPECT_EQ(o->elem, PrimitiveType(TypeKind::kU32));
  TypeRef r = T<Result<void, std::string>>();
  EXPECT_EQ(r->kind, TypeKind::kResult);
  EXPECT_EQ(r->elem, nullptr);
  EXPECT_EQ(r->err->kind, TypeKind::kString);
  TypeRef r2 = T<Result<uint8_t, void>>();
  EXPECT_EQ(r2->elem->kind, TypeKind::kU8);
  EXPECT_EQ(r2->err, nullptr);
  TypeRef t = T<std::tuple<bool, std::string>>();
  ASSERT_EQ(t->kind, TypeKind::kTuple);
  ASSERT_EQ(t->fields.size(), 2u);
  EXPECT_EQ(t->fields[0].type->kind, TypeKind::kBool);
  EXPECT_EQ(t->fields[1].type->kind, TypeKind::kString);
}

TEST(ComponentTraits, ContainerValues) {
  std::vector<uint32_t> xs = {1, 2, 300000};
  Val v = ValTraits<std::vector<uint32_t>>::ToVal(xs);
  EXPECT_EQ(v.kind, TypeKind::kList);
  ASSERT_EQ(v.items.size(), 3u);
  EXPECT_EQ(v.items[2].bits, 300000u);
  EXPECT_EQ(ValTraits<std::vector<uint32_t>>::FromVal(v), xs);

  // std::vector<uint8_t> is list<u8> in the packed form; both forms convert back.
  std::vector<uint8_t> bytes = {0, 'b', 0xff};
  Val b = ValTraits<std::vector<uint8_t>>::ToVal(bytes);
  EXPECT_EQ(b.kind, TypeKind::kList);
  EXPECT_TRUE(b.packed_bytes());
  EXPECT_EQ(b.str, std::string("\0b\xff", 3));
  EXPECT_EQ(ValTraits<std::vector<uint8_t>>::FromVal(b), bytes);
  Val b_items = Val::Aggregate(TypeKind::kList, {Val::U8(0), Val::U8('b'), Val::U8(0xff)});
  EXPECT_EQ(ValTraits<std::vector<uint8_t>>::FromVal(b_items), bytes);
  EXPECT_TRUE(ValTraits<std::vector<uint8_t>>::FromVal(Val::Bytes(std::string())).empty());
  EXPECT_EQ(ValTraits<std::vector<uint8_t>>::Type()->elem->kind, TypeKind::kU8);
  EXPECT_FALSE(ValTraits<std::vector<int8_t>>::ToVal({1, -1}).packed_bytes());  // s8: elements

  Val none = ValTraits<std::optional<std::string>>::ToVal(std::nullopt);
  EXPECT_EQ(none.bits, 0u);
  EXPECT_TRUE(none.items.empty());
  Val some = ValTraits<std::optional<std::string>>::ToVal(std::string("x"));
  EXPECT_EQ(some.bits, 1u);
  EXPECT_EQ(ValTraits<std::optional<std::string>>::FromVal(some), std::optional<std::string>("x"));
  EXPECT_EQ(ValTraits<std::optional<std::string>>::FromVal(none), std::nullopt);

  using R = Result<void, std::string>;
  Val ok = ValTraits<R>::ToVal(R::Ok());
  EXPECT_EQ(ok.bits, 0u);
  EXPECT_TRUE(ok.items.empty());
  Val err = ValTraits<R>::ToVal(R::Err("bad"));
  EXPECT_EQ(err.bits, 1u);
  ASSERT_EQ(err.items.size(), 1u);
  EXPECT_EQ(err.items[0].str, "bad");
  EXPECT_TRUE(ValTraits<R>::FromVal(ok).ok());
  EXPECT_EQ(ValTraits<R>::FromVal(err).error(), "bad");

  using R2 = Result<uint32_t, Color>;
  R2 back = ValTraits<R2>::FromVal(ValTraits<R2>::ToVal(R2::Err(Color::kBlue)));
  EXPECT_FALSE(back.ok());
  EXPECT_EQ(back.error(), Color::kBlue);
  EXPECT_EQ(ValTraits<R2>::FromVal(ValTraits<R2>::ToVal(R2::Ok(7))).value(), 7u);

  auto tup = std::make_tuple(true, std::string("s"), int64_t{-9});
  using Tup = decltype(tup);
  EXPECT_EQ(ValTraits<Tup>::FromVal(ValTraits<Tup>::ToVal(tup)), tup);
}

TEST(ComponentTraits, RecordMacro) {
  TypeRef p = T<Point>();
  ASSERT_EQ(p->kind, TypeKind::kRecord);
  ASSERT_EQ(p->fields.size(), 2u);
  EXPECT_EQ(p->fields[0].name, "x");
  EXPECT_EQ(p->fields[1].name, "y-pos");
  EXPECT_EQ(p->fields[1].type->kind, TypeKind::kS32);
  TypeRef s = T<Shape>();
  ASSERT_EQ(s->fields.size(), 3u);
  EXPECT_EQ(s->fields[0].name, "shape-name");
  EXPECT_EQ(s->fields[1].type->kind, TypeKind::kList);
  EXPECT_EQ(s->fields[1].type->elem, p);
  EXPECT_EQ(s->fields[2].type->kind, TypeKind::kOption);

  Shape sh{"tri", {{1, -2}, {3, 4}}, 9};
  Val v = ValTraits<Shape>::ToVal(sh);
  ASSERT_EQ(v.items.size(), 3u);
  EXPECT_EQ(v.items[0].str, "tri");
  EXPECT_EQ(v.items[1].items[0].items[1].bits, static_cast<uint64_t>(int64_t{-2}));
  Shape back = ValTraits<Shape>::FromVal(v);
  EXPECT_EQ(back.shape_name, "tri");
  ASSERT_EQ(back.points.size(), 2u);
  EXPECT_EQ(back.points[1].y_pos, 4);
  EXPECT_EQ(back.tag, std::optional<uint8_t>(9));
}

using Shape2 = Variant<Case<"none">, Case<"circle", double>, Case<"label", std::string>>;
using Perms = Flags<"read", "write", "exec">;

TEST(ComponentTraits, VariantAndFlags) {
  EXPECT_EQ(TypeToString(T<Shape2>()), "variant { none, circle(f64), label(string) }");
  EXPECT_EQ(TypeToString(T<Perms>()), "flags { read, write, exec }");
  EXPECT_EQ(T<Shape2>(), T<Shape2>());

  Shape2 c = Shape2::Make<1>(2.5);
  Val v = ValTraits<Shape2>::ToVal(c);
  EXPECT_TRUE(CheckVal(v, T<Shape2>()).ok());
  EXPECT_EQ(v.bits, 1u);
  ASSERT_EQ(v.items.size(), 1u);
  EXPECT_EQ(v.items[0].f64(), 2.5);
  EXPECT_EQ(ValTraits<Shape2>::FromVal(v), c);
  Shape2 none = Shape2::Make<0>();
  Val vn = ValTraits<Shape2>::ToVal(none);
  EXPECT_TRUE(vn.items.empty());
  EXPECT_EQ(ValTraits<Shape2>::FromVal(vn).index(), 0u);
  Shape2 l = ValTraits<Shape2>::FromVal(ValTraits<Shape2>::ToVal(Shape2::Make<2>("x")));
  ASSERT_EQ(l.index(), 2u);
  EXPECT_EQ(l.get<2>(), "x");

  Perms p;
  p.set(0).set(2);
  Val vf = ValTraits<Perms>::ToVal(p);
  EXPECT_TRUE(CheckVal(vf, T<Perms>()).ok());
  EXPECT_EQ(vf.bits, 5u);
  Perms back = ValTraits<Perms>::FromVal(vf);
  EXPECT_TRUE(back.has(0));
  EXPECT_FALSE(back.has(1));
  EXPECT_TRUE(back.has(2));
}

TEST(ComponentTraits, EnumMacro) {
  TypeRef c = T<Color>();
  ASSERT_EQ(c->kind, TypeKind::kEnum);
  EXPECT_EQ(c->labels, (std::vector<std::string>{"red", "dark-green", "blue"}));
  EXPECT_EQ(ValTraits<Color>::ToVal(Color::kDarkGreen).bits, 1u);
  EXPECT_EQ(ValTraits<Color>::FromVal(Val::Make(TypeKind::kEnum, 2)), Color::kBlue);
}

TEST(ComponentTraits, Resources) {
  TypeRef own = T<Resource<HostFile>>();
  TypeRef bor = T<Borrow<HostFile>>();
  EXPECT_EQ(own->kind, TypeKind::kOwn);
  EXPECT_EQ(bor->kind, TypeKind::kBorrow);
  EXPECT_EQ(own->elem, bor->elem);
  EXPECT_EQ(own->elem->kind, TypeKind::kResource);
  EXPECT_EQ(HostResourceOfNode(own->elem), HostResourceType<HostFile>());
  EXPECT_TRUE(HostResourceOfNode(PrimitiveType(TypeKind::kU8)).is_null());
  EXPECT_NE(HostResourceType<HostFile>(), HostResourceType<Point>());
  Val v = ValTraits<Resource<HostFile>>::ToVal(Resource<HostFile>{42});
  EXPECT_EQ(v.kind, TypeKind::kOwn);
  EXPECT_EQ(v.resource.type, HostResourceType<HostFile>());
  EXPECT_EQ(v.resource.rep, 42u);
  EXPECT_EQ(ValTraits<Borrow<HostFile>>::FromVal(Val::Borrow({HostResourceType<HostFile>(), 7})).rep,
            7u);
}

struct State {
  int calls = 0;
};

TEST(ComponentTraits, WrapPlainFunction) {
  auto [type, f] = detail::MakeTypedHostFunc<State>(
      [](std::string a, uint32_t n) -> std::string {
        std::string s;
        for (uint32_t i = 0; i < n; ++i) s += a;
        return s;
      });
  ASSERT_EQ(type->kind, TypeKind::kFunc);
  ASSERT_EQ(type->fields.size(), 2u);
  EXPECT_EQ(type->fields[0].type->kind, TypeKind::kString);
  EXPECT_EQ(type->fields[1].type->kind, TypeKind::kU32);
  ASSERT_NE(type->result, nullptr);
  EXPECT_EQ(type->result->kind, TypeKind::kString);
  CallerBase caller(nullptr);
  HostContext cx(caller);
  std::vector<Val> params = {Val::String("ab"), Val::U32(3)};
  std::vector<Val> results(1);
  ASSERT_TRUE(f(cx, params, results).ok());
  EXPECT_EQ(results[0].str, "ababab");
}

TEST(ComponentTraits, WrapContextAndExpected) {
  HostContext* seen = nullptr;
  auto [type, f] = detail::MakeTypedHostFunc<State>(
      [&seen](HostContext& cx, const std::vector<Point>& pts) -> Expected<int32_t> {
        seen = &cx;
        if (pts.empty()) return Error::Make(ErrorCode::kTrap, "no points");
        return pts[0].x + pts[0].y_pos;
      });
  ASSERT_EQ(type->fields.size(), 1u);
  EXPECT_EQ(type->fields[0].type->kind, TypeKind::kList);
  EXPECT_EQ(type->fields[0].type->elem, T<Point>());
  EXPECT_EQ(type->result->kind, TypeKind::kS32);
  CallerBase caller(nullptr);
  HostContext cx(caller);
  std::vector<Val> params = {ValTraits<std::vector<Point>>::ToVal({{5, 6}})};
  std::vector<Val> results(1);
  ASSERT_TRUE(f(cx, params, results).ok());
  EXPECT_EQ(&cx, seen);
  EXPECT_EQ(results[0].bits, 11u);
  params = {ValTraits<std::vector<Point>>::ToVal({})};
  Error e = f(cx, params, results);
  EXPECT_EQ(e.code(), ErrorCode::kTrap);
  EXPECT_EQ(e.message(), "no points");
}

void VoidFn(Borrow<HostFile>, Resource<HostFile>) {}

TEST(ComponentTraits, WrapVoidAndResources) {
  auto [type, f] = detail::MakeTypedHostFunc<State>(&VoidFn);
  EXPECT_EQ(type->result, nullptr);
  ASSERT_EQ(type->fields.size(), 2u);
  EXPECT_EQ(type->fields[0].type, T<Borrow<HostFile>>());
  EXPECT_EQ(type->fields[1].type, T<Resource<HostFile>>());
  // The same signature from a different callable shares the node.
  auto [type2, f2] = detail::MakeTypedHostFunc<State>([](Borrow<HostFile>, Resource<HostFile>) {});
  EXPECT_EQ(type, type2);
  auto [type3, f3] = detail::MakeTypedHostFunc<State>([](State&) { return Error(); });
  EXPECT_TRUE(type3->fields.empty());
  EXPECT_EQ(type3->result, nullptr);
}

// A typed host function writes its result into the caller's (reused) Val in place: whatever
// that Val held before, the result must equal what ToVal makes, with no leftovers.
TEST(ComponentTraits, ResultsOverwriteReusedVals) {
  using R = Result<Resource<HostFile>, std::string>;
  int call = 0;
  auto [type, f] = detail::MakeTypedHostFunc<State>([&call]() -> Expected<R> {
    switch (call++ % 3) {
      case 0: return R::Ok(Resource<HostFile>{5});
      case 1: return R::Err("no such file");
      default: return R::Ok(Resource<HostFile>{9});
    }
  });
  ASSERT_EQ(type->result->kind, TypeKind::kResult);
  CallerBase caller(nullptr);
  HostContext cx(caller);
  // Start from a Val of another shape with every member set.
  std::vector<Val> results = {Val::Aggregate(
      TypeKind::kVariant, {Val::String("leftover"), Val::Own({HostResourceType<Point>(), 3})}, 7)};
  results[0].str = "junk";
  results[0].resource = {HostResourceType<Point>(), 1};
  const R want[] = {R::Ok(Resource<HostFile>{5}), R::Err("no such file"),
                    R::Ok(Resource<HostFile>{9}), R::Ok(Resource<HostFile>{5})};
  for (const R& w : want) {
    ASSERT_TRUE(f(cx, {}, results).ok());
    EXPECT_EQ(results[0], ValTraits<R>::ToVal(w));
    EXPECT_TRUE(CheckVal(results[0], type->result).ok());
  }
  // Options and borrows, and a payload Val that had items of its own.
  std::vector<Val> out = {Val::Aggregate(TypeKind::kOption, {Val::Aggregate(TypeKind::kList,
                                                                            {Val::U8(1)})},
                                         1)};
  detail::AssignVal(out[0], std::optional<Borrow<HostFile>>(Borrow<HostFile>{4}));
  EXPECT_EQ(out[0], ValTraits<std::optional<Borrow<HostFile>>>::ToVal(Borrow<HostFile>{4}));
  detail::AssignVal(out[0], std::optional<Borrow<HostFile>>());
  EXPECT_EQ(out[0], ValTraits<std::optional<Borrow<HostFile>>>::ToVal(std::nullopt));
  EXPECT_TRUE(out[0].items.empty());
  using V = Result<void, void>;
  detail::AssignVal(out[0], V::Err());
  EXPECT_EQ(out[0], ValTraits<V>::ToVal(V::Err()));
}

TEST(ComponentTraits, TypesMatch) {
  TypeArena arena;
  Type* rec = arena.New(TypeKind::kRecord);
  rec->fields = {{"x", PrimitiveType(TypeKind::kS32)}, {"y-pos", PrimitiveType(TypeKind::kS32)}};
  EXPECT_TRUE(api::TypesMatch(T<Point>(), rec, nullptr));
  rec->fields[1].name = "y";
  std::string why;
  EXPECT_FALSE(api::TypesMatch(T<Point>(), rec, nullptr, &why));
  EXPECT_NE(why.find("y-pos"), std::string::npos) << why;

  Type* fn = arena.New(TypeKind::kFunc);
  fn->fields = {{"self", nullptr}, {"b", PrimitiveType(TypeKind::kU8)}};
  Type* res = arena.New(TypeKind::kResource);
  Type* bor = arena.New(TypeKind::kBorrow);
  bor->elem = res;
  fn->fields[0].type = bor;
  TypeRef want = detail::StaticFuncType<void, Borrow<HostFile>, uint8_t>();
  EXPECT_FALSE(api::TypesMatch(want, fn, nullptr));
  auto same = [&](TypeRef a, TypeRef b) {
    return HostResourceOfNode(a) == HostResourceType<HostFile>() && b == res;
  };
  EXPECT_TRUE(api::TypesMatch(want, fn, same));
  fn->result = PrimitiveType(TypeKind::kU8);
  EXPECT_FALSE(api::TypesMatch(want, fn, same));
}

TEST(ComponentVersions, Compatibility) {
  EXPECT_TRUE(api::VersionCompatible("0.2.0", "0.2.12"));
  EXPECT_TRUE(api::VersionCompatible("0.2.12", "0.2.0"));  // any patch of the same 0.x minor
  EXPECT_FALSE(api::VersionCompatible("0.2.0", "0.3.0"));
  EXPECT_FALSE(api::VersionCompatible("0.2.0", "1.2.0"));
  EXPECT_TRUE(api::VersionCompatible("1.0.0", "1.4.2"));
  EXPECT_FALSE(api::VersionCompatible("1.0.0", "2.0.0"));
  EXPECT_TRUE(api::VersionCompatible("0.3.0-rc1", "0.3.0-rc1"));
  EXPECT_FALSE(api::VersionCompatible("0.3.0-rc1", "0.3.0-rc2"));
  EXPECT_FALSE(api::VersionCompatible("0.3.0", "0.3.0-rc1"));
  EXPECT_FALSE(api::VersionCompatible("0.2", "0.2.1"));  // not semver: exact only
  EXPECT_GT(api::CompareVersions("0.2.12", "0.2.5"), 0);
  EXPECT_LT(api::CompareVersions("0.2.5", "0.10.0"), 0);
  EXPECT_EQ(api::CompareVersions("1.2.3", "1.2.3"), 0);
  std::string_view base, ver;
  api::SplitVersion("wasi:io/streams@0.2.0", &base, &ver);
  EXPECT_EQ(base, "wasi:io/streams");
  EXPECT_EQ(ver, "0.2.0");
  api::SplitVersion("run", &base, &ver);
  EXPECT_EQ(base, "run");
  EXPECT_TRUE(ver.empty());
}

}  // namespace
}  // namespace weft::component
