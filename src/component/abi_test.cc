// Canonical ABI tests: layout, flattening, store/load and flat lift/lower of every value type
// in every string encoding, whole-call spilling and indirect results, and every trap. Exact
// bytes, flat values and realloc call sequences come from testdata/abi_vectors.inc, produced
// by testdata/gen_abi_vectors.py running the spec's own definitions.py; the C++ side builds
// the same types and values by hand (keep the two in sync when adding a case).
#include "component/abi.h"

#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace weft::component {

/// Readable gtest failure output for values (kind, bits, string, items).
void PrintTo(const Val& v, std::ostream* os) {
  *os << "{kind " << static_cast<int>(v.kind) << ", bits 0x" << std::hex << v.bits << std::dec;
  if (!v.str.empty()) *os << ", \"" << v.str << "\"";
  if (v.resource.type.id != nullptr) *os << ", rep " << v.resource.rep;
  if (!v.items.empty()) {
    *os << ", [";
    for (const Val& i : v.items) {
      PrintTo(i, os);
      *os << " ";
    }
    *os << "]";
  }
  *os << "}";
}

namespace abi {
namespace {

// ---------------------------------------------------------------------------------------------
// A guest stand-in: a byte-vector memory, a bump realloc that logs its calls (the same policy
// as the generator's), and a handle table.

struct ReallocCall {
  uint32_t old_ptr, old_size, align, new_size;
  bool operator==(const ReallocCall&) const = default;
};

std::ostream& operator<<(std::ostream& os, const ReallocCall& c) {
  return os << "{" << c.old_ptr << ", " << c.old_size << ", " << c.align << ", " << c.new_size
            << "}";
}

class FakeEnv : public Env {
 public:
  explicit FakeEnv(size_t size = 4096, uint32_t heap = 256) : mem(size), bump(heap) {}

  std::span<uint8_t> Memory() override { return mem; }

  Expected<uint32_t> Realloc(uint32_t old_ptr, uint32_t old_size, uint32_t align,
                             uint32_t new_size) override {
    calls.push_back({old_ptr, old_size, align, new_size});
    if (realloc_override) return *realloc_override;
    if (no_realloc) return Error::Make(ErrorCode::kTrap, "no realloc");
    uint32_t ptr = (bump + align - 1) / align * align;
    bump = ptr + new_size;
    if (grow_on_realloc && bump > mem.size()) mem.resize(bump + 4096);
    uint32_t n = std::min(old_size, new_size);
    if (old_ptr != 0 && n != 0) std::memmove(mem.data() + ptr, mem.data() + old_ptr, n);
    return ptr;
  }

  // Handles: index -> (resource, own). Handle 0 is never valid (as in the spec's tables).
  struct Handle {
    ResourceAny r;
    bool own;
  };
  std::map<uint32_t, Handle> handles;
  uint32_t next_handle = 1;

  Expected<ResourceAny> LiftOwn(TypeRef resource, uint32_t h) override {
    auto it = handles.find(h);
    if (it == handles.end() || !it->second.own) {
      return Error::Make(ErrorCode::kTrap, "unknown own handle " + std::to_string(h));
    }
    ResourceAny r = it->second.r;
    handles.erase(it);
    return r;
  }
  Expected<ResourceAny> LiftBorrow(TypeRef resource, uint32_t h) override {
    auto it = handles.find(h);
    if (it == handles.end()) return Error::Make(ErrorCode::kTrap, "unknown handle");
    return it->second.r;
  }
  Expected<uint32_t> LowerOwn(TypeRef resource, const ResourceAny& r) override {
    handles[next_handle] = {r, true};
    return next_handle++;
  }
  Expected<uint32_t> LowerBorrow(TypeRef resource, const ResourceAny& r) override {
    handles[next_handle] = {r, false};
    return next_handle++;
  }

  std::vector<uint8_t> mem;
  uint32_t bump;
  std::vector<ReallocCall> calls;
  std::optional<uint32_t> realloc_override;
  bool no_realloc = false;
  bool grow_on_realloc = false;
};

// ---------------------------------------------------------------------------------------------
// Type and value builders.

/// prefix + decimal i, built by appends (g++-12 -Wrestrict misfires on "lit" + std::string).
std::string Name(const char* prefix, size_t i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

class Types {
 public:
  TypeRef P(TypeKind k) { return PrimitiveType(k); }
  TypeRef List(TypeRef e) { return Elem(TypeKind::kList, e); }
  TypeRef Option(TypeRef e) { return Elem(TypeKind::kOption, e); }
  TypeRef Result(TypeRef ok, TypeRef err) {
    Type* t = arena_.New(TypeKind::kResult);
    t->elem = ok;
    t->err = err;
    return t;
  }
  TypeRef Record(std::vector<NamedType> fields) { return Fields(TypeKind::kRecord, std::move(fields)); }
  TypeRef Variant(std::vector<NamedType> cases) { return Fields(TypeKind::kVariant, std::move(cases)); }
  TypeRef Tuple(std::vector<TypeRef> ts) {
    std::vector<NamedType> fields;
    for (TypeRef t : ts) fields.push_back({"", t});
    return Fields(TypeKind::kTuple, std::move(fields));
  }
  TypeRef Enum(size_t n) { return Labels(TypeKind::kEnum, n); }
  TypeRef Flags(size_t n) { return Labels(TypeKind::kFlags, n); }
  TypeRef Resource() { return arena_.New(TypeKind::kResource); }
  TypeRef Own(TypeRef r) { return Elem(TypeKind::kOwn, r); }
  TypeRef Borrow(TypeRef r) { return Elem(TypeKind::kBorrow, r); }
  TypeRef Func(std::vector<TypeRef> params, TypeRef result) {
    Type* t = arena_.New(TypeKind::kFunc);
    for (size_t i = 0; i < params.size(); ++i) t->fields.push_back({Name("p", i), params[i]});
    t->result = result;
    return t;
  }
  TypeRef Elem(TypeKind k, TypeRef e) {
    Type* t = arena_.New(k);
    t->elem = e;
    return t;
  }

 private:
  TypeRef Fields(TypeKind k, std::vector<NamedType> fields) {
    Type* t = arena_.New(k);
    t->fields = std::move(fields);
    return t;
  }
  TypeRef Labels(TypeKind k, size_t n) {
    Type* t = arena_.New(k);
    for (size_t i = 0; i < n; ++i) t->labels.push_back(Name(k == TypeKind::kEnum ? "e" : "f", i));
    return t;
  }
  TypeArena arena_;
};

Val Agg(TypeKind k, std::vector<Val> items, uint64_t bits = 0) { return Val::Aggregate(k, std::move(items), bits); }
Val Case(TypeKind k, uint64_t index) { return Val::Make(k, index); }
Val Case(TypeKind k, uint64_t index, Val payload) { return Agg(k, {std::move(payload)}, index); }

constexpr auto kBool = TypeKind::kBool, kU8 = TypeKind::kU8, kU16 = TypeKind::kU16,
               kU32 = TypeKind::kU32, kU64 = TypeKind::kU64, kS8 = TypeKind::kS8,
               kS16 = TypeKind::kS16, kS32 = TypeKind::kS32, kS64 = TypeKind::kS64,
               kF32 = TypeKind::kF32, kF64 = TypeKind::kF64, kChar = TypeKind::kChar,
               kString = TypeKind::kString;

// ---------------------------------------------------------------------------------------------
// Generated vectors.

struct MemoryVector {
  const char* name;
  const char* memory;  // "offset:hex offset:hex"
  std::vector<uint64_t> flat;
  std::vector<ReallocCall> calls;
};
const MemoryVector kMemoryVectors[] = {
#define WEFT_ABI_VECTORS_MEMORY
#include "component/testdata/abi_vectors.inc"
#undef WEFT_ABI_VECTORS_MEMORY
};
struct LayoutVector {
  const char* name;
  const char* text;
};
const LayoutVector kLayoutVectors[] = {
#define WEFT_ABI_VECTORS_LAYOUT
#include "component/testdata/abi_vectors.inc"
#undef WEFT_ABI_VECTORS_LAYOUT
};

const MemoryVector& FindMemory(const std::string& name) {
  for (const MemoryVector& v : kMemoryVectors) {
    if (name == v.name) return v;
  }
  ADD_FAILURE() << "no vector " << name;
  return kMemoryVectors[0];
}
std::string FindLayout(const std::string& name) {
  for (const LayoutVector& v : kLayoutVectors) {
    if (name == v.name) return v.text;
  }
  ADD_FAILURE() << "no vector " << name;
  return "";
}

std::vector<uint8_t> ExpectedMemory(const char* sparse, size_t size) {
  std::vector<uint8_t> m(size);
  std::string s = sparse;
  size_t i = 0;
  while (i < s.size()) {
    size_t colon = s.find(':', i);
    size_t end = s.find(' ', colon);
    if (end == std::string::npos) end = s.size();
    size_t off = std::stoul(s.substr(i, colon - i));
    for (size_t k = colon + 1; k + 1 < end; k += 2) m[off++] = static_cast<uint8_t>(std::stoul(s.substr(k, 2), nullptr, 16));
    i = end + 1;
  }
  return m;
}

void ExpectMemory(const FakeEnv& env, const MemoryVector& v) {
  std::vector<uint8_t> want = ExpectedMemory(v.memory, env.mem.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (env.mem[i] != want[i]) {
      ADD_FAILURE() << v.name << ": memory differs at " << i << ": got " << int{env.mem[i]}
                    << ", want " << int{want[i]};
      return;
    }
  }
}

std::string Sig(TypeRef t) {
  std::vector<CoreValType> flat;
  FlattenType(t, flat);
  std::string s;
  for (CoreValType c : flat) {
    s += c == CoreValType::kI32 ? 'i' : c == CoreValType::kI64 ? 'I' : c == CoreValType::kF32 ? 'f' : 'F';
  }
  return s;
}

Options Enc(StringEncoding e) { return Options{e}; }

/// Stores `v` at 16 and flat-lowers it in fresh envs, compares both with the vectors named
/// store_<name> / flat_<name>, then loads and flat-lifts the results back and expects `v`
/// (`expect` when lifting changes it, e.g. NaN canonicalization).
void CheckVectors(const std::string& name, TypeRef t, const Val& v, StringEncoding enc,
                  const std::optional<Val>& expect = std::nullopt) {
  SCOPED_TRACE(name);
  const Val& back = expect ? *expect : v;
  {
    const MemoryVector& vec = FindMemory("store_" + name);
    FakeEnv env;
    Error e = Store(env, Enc(enc), t, v, 16);
    ASSERT_TRUE(e.ok()) << e.message();
    ExpectMemory(env, vec);
    EXPECT_EQ(env.calls, vec.calls);
    Expected<Val> got = Load(env, Enc(enc), t, 16);
    ASSERT_TRUE(got.ok()) << got.error().message();
    EXPECT_EQ(*got, back);
  }
  {
    const MemoryVector& vec = FindMemory("flat_" + name);
    FakeEnv env;
    Types ty;
    TypeRef f = ty.Func({t}, nullptr);
    std::vector<uint64_t> flat;
    Error e = LowerParams(env, Enc(enc), f, std::span<const Val>(&v, 1), flat);
    ASSERT_TRUE(e.ok()) << e.message();
    EXPECT_EQ(flat, vec.flat);
    ExpectMemory(env, vec);
    EXPECT_EQ(env.calls, vec.calls);
    auto got = LiftParams(env, Enc(enc), f, flat);
    ASSERT_TRUE(got.ok()) << got.error().message();
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ((*got)[0], back);
  }
}

// ---------------------------------------------------------------------------------------------
// The shared types of the generated cases (mirroring gen_abi_vectors.py).

struct Fixture {
  Types ty;
  TypeRef prims = ty.Record({{"a", ty.P(kU8)}, {"b", ty.P(kU16)}, {"c", ty.P(kU32)}, {"d", ty.P(kU64)},
                             {"e", ty.P(kS8)}, {"f", ty.P(kF32)}, {"g", ty.P(kF64)}, {"h", ty.P(kChar)},
                             {"i", ty.P(kBool)}, {"j", ty.P(kS16)}, {"k", ty.P(kS32)}, {"l", ty.P(kS64)}});
  TypeRef v3 = ty.Variant({{"a", ty.P(kU8)}, {"b", ty.P(kF64)}, {"c", nullptr}});
  TypeRef vf = ty.Variant({{"x", ty.P(kF32)}, {"y", ty.P(kU64)}});
  TypeRef enum300 = ty.Enum(300);
  TypeRef flags9 = ty.Flags(9);
  TypeRef flags20 = ty.Flags(20);
  TypeRef lt = ty.List(ty.Tuple({ty.P(kU8), ty.P(kU32)}));
  TypeRef optstr = ty.Option(ty.P(kString));
  TypeRef res = ty.Result(ty.P(kU32), ty.P(kString));
  TypeRef nest = ty.Record({{"name", ty.P(kString)},
                            {"tags", ty.List(ty.P(kString))},
                            {"v", v3},
                            {"o", ty.Option(ty.P(kF32))}});
  TypeRef vmix = ty.Variant({{"a", ty.Tuple({ty.P(kF32), ty.P(kU32)})},
                             {"b", ty.Tuple({ty.P(kF64), ty.P(kF32), ty.P(kU8)})},
                             {"c", ty.P(kString)}});

  Val PrimsVal() {
    return Agg(TypeKind::kRecord,
               {Val::U8(0xfe), Val::U16(0xbeef), Val::U32(0xdeadbeef), Val::U64(0x0123456789abcdef),
                Val::S8(-2), Val::F32(1.5f), Val::F64(-0.25), Val::Char(0x1F600), Val::Bool(true),
                Val::S16(-300), Val::S32(-70000), Val::S64(-5)});
  }
};

TEST(AbiLayout, MatchesDefinitionsPy) {
  Fixture f;
  const std::pair<const char*, TypeRef> cases[] = {
      {"prims", f.prims}, {"v3", f.v3}, {"vf", f.vf},     {"nest", f.nest},
      {"res", f.res},     {"optstr", f.optstr}, {"lt", f.lt}, {"vmix", f.vmix}};
  for (const auto& [name, t] : cases) {
    SCOPED_TRACE(name);
    EXPECT_EQ(Sig(t), FindLayout(std::string("sig_") + name));
    EXPECT_EQ(std::to_string(ElemSize(t)) + "/" + std::to_string(Alignment(t)),
              FindLayout(std::string("size_") + name));
  }
}

TEST(AbiLayout, PrimitivesAndSmallAggregates) {
  Types ty;
  EXPECT_EQ(ElemSize(ty.P(kBool)), 1u);
  EXPECT_EQ(Alignment(ty.P(kU16)), 2u);
  EXPECT_EQ(ElemSize(ty.P(kChar)), 4u);
  EXPECT_EQ(ElemSize(ty.P(kString)), 8u);
  EXPECT_EQ(Alignment(ty.P(kString)), 4u);
  EXPECT_EQ(ElemSize(ty.Enum(2)), 1u);
  EXPECT_EQ(ElemSize(ty.Enum(256)), 1u);  // discriminant_type: u8 up to 256 cases
  EXPECT_EQ(ElemSize(ty.Enum(257)), 2u);
  EXPECT_EQ(ElemSize(ty.Enum(65537)), 4u);
  EXPECT_EQ(ElemSize(ty.Flags(8)), 1u);
  EXPECT_EQ(ElemSize(ty.Flags(16)), 2u);
  EXPECT_EQ(ElemSize(ty.Flags(17)), 4u);
  EXPECT_EQ(ElemSize(ty.Flags(32)), 4u);
  TypeRef r = ty.Resource();
  EXPECT_EQ(ElemSize(ty.Own(r)), 4u);
  EXPECT_EQ(Sig(ty.Borrow(r)), "i");
  // record {a: u8, b: u32, c: u8}: 1 + pad 3 + 4 + 1, rounded to 4.
  EXPECT_EQ(ElemSize(ty.Record({{"a", ty.P(kU8)}, {"b", ty.P(kU32)}, {"c", ty.P(kU8)}})), 12u);
  // option<u64>: u8 discriminant padded to 8.
  EXPECT_EQ(ElemSize(ty.Option(ty.P(kU64))), 16u);
  EXPECT_EQ(Sig(ty.Option(ty.P(kU64))), "iI");
  EXPECT_EQ(Sig(ty.Result(nullptr, nullptr)), "i");
  EXPECT_EQ(ElemSize(ty.Result(nullptr, nullptr)), 1u);
}

// The layout memo (Type::abi_layout) must give what the recursive definitions give, for a
// copy of a node (whose memo starts empty) and when threads ask for a fresh node's layout at
// once (relaxed atomics: racing first uses store the same word).
TEST(AbiLayout, MemoIsStableAcrossCopiesAndThreads) {
  Types ty;
  // record {a: u8, v: variant {x(f32), y(u64)}, s: string}: 1, pad to 8, 16 (u8 disc + pad
  // + u64), 8 -> 32 bytes, alignment 8; flat i32 + (i32, i64) + (i32, i32) = 5 values.
  TypeRef vf = ty.Variant({{"x", ty.P(kF32)}, {"y", ty.P(kU64)}});
  TypeRef rec = ty.Record({{"a", ty.P(kU8)}, {"v", vf}, {"s", ty.P(kString)}});
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (ElemSize(rec) != 32 || Alignment(rec) != 8 || Sig(rec) != "iiIii") bad.fetch_add(1);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(ElemSize(vf), 16u);
  Type copy = *rec;  // a copy computes its own memo
  EXPECT_EQ(copy.abi_layout.word.load(), 0u);
  EXPECT_EQ(ElemSize(&copy), 32u);
  EXPECT_EQ(Alignment(&copy), 8u);
  EXPECT_NE(copy.abi_layout.word.load(), 0u);
}

TEST(AbiFlatten, FuncTypes) {
  Types ty;
  std::vector<TypeRef> sixteen(16, ty.P(kU32));
  FlatFuncType a = FlattenFuncType(ty.Func(sixteen, ty.P(kU32)), false);
  EXPECT_EQ(a.params.size(), 16u);
  EXPECT_FALSE(a.params_indirect);
  EXPECT_EQ(a.results, std::vector<CoreValType>{CoreValType::kI32});
  EXPECT_FALSE(a.results_indirect);

  std::vector<TypeRef> seventeen(17, ty.P(kU32));
  TypeRef str = ty.P(kString);
  FlatFuncType b = FlattenFuncType(ty.Func(seventeen, str), false);
  EXPECT_EQ(b.params, std::vector<CoreValType>{CoreValType::kI32});
  EXPECT_TRUE(b.params_indirect);
  EXPECT_EQ(b.results, std::vector<CoreValType>{CoreValType::kI32});
  EXPECT_TRUE(b.results_indirect);

  FlatFuncType c = FlattenFuncType(ty.Func({ty.P(kF64)}, str), true);
  EXPECT_EQ(c.params, (std::vector<CoreValType>{CoreValType::kF64, CoreValType::kI32}));
  EXPECT_TRUE(c.results.empty());
  EXPECT_TRUE(c.results_indirect);

  FlatFuncType d = FlattenFuncType(ty.Func({}, nullptr), true);
  EXPECT_TRUE(d.params.empty());
  EXPECT_TRUE(d.results.empty());
}

// ---------------------------------------------------------------------------------------------
// Every value type against the spec's bytes.

TEST(AbiVectors, Primitives) {
  Fixture f;
  CheckVectors("prims", f.prims, f.PrimsVal(), StringEncoding::kUtf8);
}

TEST(AbiVectors, Variants) {
  Fixture f;
  CheckVectors("variant_b", f.v3, Case(TypeKind::kVariant, 1, Val::F64(1.5)), StringEncoding::kUtf8);
  CheckVectors("variant_a", f.v3, Case(TypeKind::kVariant, 0, Val::U8(7)), StringEncoding::kUtf8);
  CheckVectors("variant_c", f.v3, Case(TypeKind::kVariant, 2), StringEncoding::kUtf8);
  CheckVectors("variant_f32", f.vf, Case(TypeKind::kVariant, 0, Val::F32(1.0f)), StringEncoding::kUtf8);
  // A non-canonical NaN is lowered canonical (the deterministic profile) and lifts canonical.
  Val nan = Case(TypeKind::kVariant, 0, Val::Make(kF32, 0x7fa00001));
  CheckVectors("variant_nan", f.vf, nan, StringEncoding::kUtf8,
               Case(TypeKind::kVariant, 0, Val::Make(kF32, 0x7fc00000)));
  CheckVectors("enum300", f.enum300, Case(TypeKind::kEnum, 299), StringEncoding::kUtf8);
  CheckVectors("option_some", f.optstr, Case(TypeKind::kOption, 1, Val::String("hey")), StringEncoding::kUtf8);
  CheckVectors("option_none", f.optstr, Case(TypeKind::kOption, 0), StringEncoding::kUtf8);
  CheckVectors("result_ok", f.res, Case(TypeKind::kResult, 0, Val::U32(42)), StringEncoding::kUtf8);
  CheckVectors("result_err", f.res, Case(TypeKind::kResult, 1, Val::String("bad")), StringEncoding::kUtf8);
}

TEST(AbiVectors, FlagsListsNested) {
  Fixture f;
  CheckVectors("flags9", f.flags9, Val::Make(TypeKind::kFlags, 0x101), StringEncoding::kUtf8);
  CheckVectors("flags20", f.flags20, Val::Make(TypeKind::kFlags, 0x80002), StringEncoding::kUtf8);
  CheckVectors("list_tuple", f.lt,
               Agg(TypeKind::kList, {Agg(TypeKind::kTuple, {Val::U8(1), Val::U32(2)}),
                                     Agg(TypeKind::kTuple, {Val::U8(3), Val::U32(0xffffffff)})}),
               StringEncoding::kUtf8);
  Val nested = Agg(TypeKind::kRecord,
                   {Val::String("x"), Agg(TypeKind::kList, {Val::String("a"), Val::String("bc")}),
                    Case(TypeKind::kVariant, 0, Val::U8(9)), Case(TypeKind::kOption, 1, Val::F32(2.0f))});
  CheckVectors("nested", f.nest, nested, StringEncoding::kUtf8);
}

TEST(AbiVectors, StringsInEveryEncoding) {
  const std::pair<const char*, const char*> strings[] = {
      {"ascii", "hi"},
      {"empty", ""},
      {"latin", "h\xc3\xa9llo"},
      {"bmp", "a\xe2\x82\xac" "b"},
      {"astral", "a\xf0\x9f\x98\x80" "b"},
      {"latin_then_astral", "\xc3\xa9\xc3\xa9\xf0\x9f\x98\x80"}};
  const std::pair<const char*, StringEncoding> encodings[] = {
      {"utf8", StringEncoding::kUtf8}, {"utf16", StringEncoding::kUtf16}, {"latin1", StringEncoding::kLatin1Utf16}};
  for (const auto& [sname, s] : strings) {
    for (const auto& [ename, enc] : encodings) {
      CheckVectors(std::string("str_") + sname + "_" + ename, PrimitiveType(kString), Val::String(s), enc);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Whole calls.

TEST(AbiCalls, SpilledParams) {
  Types ty;
  std::vector<TypeRef> params(16, ty.P(kU32));
  params.push_back(ty.P(kString));
  TypeRef f = ty.Func(params, nullptr);
  std::vector<Val> args;
  for (uint32_t i = 1; i <= 16; ++i) args.push_back(Val::U32(i));
  args.push_back(Val::String("spill"));
  const MemoryVector& vec = FindMemory("params_spilled");
  FakeEnv env;
  std::vector<uint64_t> flat;
  ASSERT_TRUE(LowerParams(env, Enc(StringEncoding::kUtf8), f, args, flat).ok());
  EXPECT_EQ(flat, vec.flat);
  EXPECT_EQ(env.calls, vec.calls);
  ExpectMemory(env, vec);
  auto back = LiftParams(env, Enc(StringEncoding::kUtf8), f, flat);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, args);
  // A spilled-area pointer that is misaligned or out of bounds traps.
  std::vector<uint64_t> bad = {2};
  EXPECT_EQ(LiftParams(env, Enc(StringEncoding::kUtf8), f, bad).error().code(), ErrorCode::kTrap);
  bad = {4096 - 8};
  EXPECT_EQ(LiftParams(env, Enc(StringEncoding::kUtf8), f, bad).error().code(), ErrorCode::kTrap);
}

TEST(AbiCalls, FlatParamsWithJoinedVariant) {
  Fixture fx;
  Types& ty = fx.ty;
  TypeRef f = ty.Func({ty.P(kString), ty.P(kF32), fx.v3, ty.P(kU64)}, nullptr);
  std::vector<Val> args = {Val::String("ab"), Val::F32(0.5f), Case(TypeKind::kVariant, 1, Val::F64(2.0)),
                           Val::U64(7)};
  const MemoryVector& vec = FindMemory("params_flat");
  FakeEnv env;
  std::vector<uint64_t> flat;
  ASSERT_TRUE(LowerParams(env, Enc(StringEncoding::kUtf16), f, args, flat).ok());
  EXPECT_EQ(flat, vec.flat);
  EXPECT_EQ(env.calls, vec.calls);
  ExpectMemory(env, vec);
  auto back = LiftParams(env, Enc(StringEncoding::kUtf16), f, flat);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, args);
}

TEST(AbiCalls, VariantPaddingKeepsLaterParamsInPlace) {
  // vmix flattens to [i32, i64, i32, i32]; case a's (f32, u32) payload fills two slots, so
  // lower_flat_variant pads one zero and lift_flat_variant must skip it before the u32.
  Fixture fx;
  Types& ty = fx.ty;
  TypeRef f = ty.Func({fx.vmix, ty.P(kU32)}, nullptr);
  std::vector<Val> args = {Case(TypeKind::kVariant, 0, Agg(TypeKind::kTuple, {Val::F32(0.25f), Val::U32(9)})),
                           Val::U32(5)};
  FakeEnv env;
  std::vector<uint64_t> flat;
  ASSERT_TRUE(LowerParams(env, {}, f, args, flat).ok());
  EXPECT_EQ(flat, (std::vector<uint64_t>{0, 0x3e800000, 9, 0, 5}));
  auto back = LiftParams(env, {}, f, flat);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, args);
  // Case c(string) reads its pointer from the joined i64 slot (wrapped to 32 bits), its
  // length from the next, and skips the last.
  const uint64_t string_case[] = {2, 0xffffffff00000100ull, 0, 0x77, 6};
  auto c = LiftParams(env, {}, f, string_case);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ((*c)[0], Case(TypeKind::kVariant, 2, Val::String("")));
  EXPECT_EQ((*c)[1], Val::U32(6));
}

TEST(AbiCalls, IndirectResults) {
  Types ty;
  TypeRef tup = ty.Tuple({ty.P(kString), ty.P(kU32)});
  TypeRef f = ty.Func({ty.P(kU32)}, tup);
  Val result = Agg(TypeKind::kTuple, {Val::String("r\xc3\xa9s"), Val::U32(5)});
  const MemoryVector& vec = FindMemory("results_indirect");
  FakeEnv env;
  std::vector<uint64_t> flat_results;
  const uint64_t flat_args[] = {123, 64};  // the u32 param, then the return area
  ASSERT_TRUE(LowerResults(env, Enc(StringEncoding::kLatin1Utf16), f, std::span<const Val>(&result, 1),
                           flat_args, flat_results)
                  .ok());
  EXPECT_TRUE(flat_results.empty());
  EXPECT_EQ(env.calls, vec.calls);
  ExpectMemory(env, vec);
  // canon lift's exit reads the same area back through the single i32 result.
  const uint64_t ret[] = {64};
  auto back = LiftResults(env, Enc(StringEncoding::kLatin1Utf16), f, ret);
  ASSERT_TRUE(back.ok()) << back.error().message();
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0], result);
  // The return area must be aligned and in bounds.
  const uint64_t misaligned[] = {123, 66};
  Error e = LowerResults(env, Enc(StringEncoding::kUtf8), f, std::span<const Val>(&result, 1), misaligned,
                         flat_results);
  EXPECT_EQ(e.code(), ErrorCode::kTrap);
  EXPECT_NE(e.message().find("not aligned"), std::string::npos) << e.message();
  const uint64_t oob[] = {4096 - 4};
  EXPECT_EQ(LiftResults(env, Enc(StringEncoding::kUtf8), f, oob).error().code(), ErrorCode::kTrap);
}

TEST(AbiCalls, FlatResultAndEmptyCall) {
  Types ty;
  TypeRef f = ty.Func({}, ty.P(kS16));
  FakeEnv env;
  std::vector<uint64_t> flat;
  ASSERT_TRUE(LowerParams(env, {}, f, {}, flat).ok());
  EXPECT_TRUE(flat.empty());
  Val r = Val::S16(-2);
  ASSERT_TRUE(LowerResults(env, {}, f, std::span<const Val>(&r, 1), {}, flat).ok());
  EXPECT_EQ(flat, std::vector<uint64_t>{0xfffffffe});
  auto back = LiftResults(env, {}, f, flat);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)[0], r);
  TypeRef empty = ty.Func({}, nullptr);
  auto none = LiftResults(env, {}, empty, {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(none->capacity(), 0u);  // the empty call allocates nothing
  EXPECT_TRUE(env.calls.empty());
}

TEST(AbiCalls, IntoVariantsReuseVectorsWithoutStaleFields) {
  Types ty;
  TypeRef v = ty.Variant({{"s", ty.P(kString)}, {"n", nullptr}, {"l", ty.List(ty.P(kU8))}});
  TypeRef f = ty.Func({v, ty.P(kU8)}, v);
  FakeEnv env;
  std::vector<Val> out;
  const std::vector<std::vector<Val>> calls = {
      {Case(TypeKind::kVariant, 0, Val::String("long enough to allocate a buffer")), Val::U8(1)},
      {Case(TypeKind::kVariant, 1), Val::U8(2)},
      {Case(TypeKind::kVariant, 2, Agg(TypeKind::kList, {Val::U8(3)})), Val::U8(4)},
      {Case(TypeKind::kVariant, 0, Val::String("x")), Val::U8(5)}};
  for (const std::vector<Val>& args : calls) {
    std::vector<uint64_t> flat;
    ASSERT_TRUE(LowerParams(env, {}, f, args, flat).ok());
    ASSERT_TRUE(LiftParamsInto(env, {}, f, flat, out).ok());
    EXPECT_EQ(out, args);
    const uint64_t ret[] = {192};
    std::vector<uint64_t> none;
    ASSERT_TRUE(LowerResults(env, {}, f, std::span<const Val>(&args[0], 1), ret, none).ok());
    ASSERT_TRUE(LiftResultsInto(env, {}, f, ret, out).ok());
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0], args[0]);
  }
  // Lists that shrink and grow between calls, with elements changing case.
  TypeRef lo = ty.List(ty.Option(ty.P(kString)));
  TypeRef fl = ty.Func({}, lo);
  auto some = [](const char* s) { return Case(TypeKind::kOption, 1, Val::String(s)); };
  const std::vector<Val> lists = {
      Agg(TypeKind::kList, {some("a"), Case(TypeKind::kOption, 0), some("b")}),
      Agg(TypeKind::kList, {Case(TypeKind::kOption, 0)}),
      Agg(TypeKind::kList, {some("c"), some("d")}),
      Agg(TypeKind::kList, {})};
  for (const Val& l : lists) {
    ASSERT_TRUE(Store(env, {}, lo, l, 192).ok());
    const uint64_t ret[] = {192};
    ASSERT_TRUE(LiftResultsInto(env, {}, fl, ret, out).ok());
    EXPECT_EQ(out[0], l);
  }
  // Reused across functions of other types too: a u32 result, then a string one.
  TypeRef fu = ty.Func({}, ty.P(kU32));
  TypeRef fs = ty.Func({}, ty.P(kString));
  const uint64_t seven[] = {7};
  ASSERT_TRUE(LiftResultsInto(env, {}, fu, seven, out).ok());
  EXPECT_EQ(out[0], Val::U32(7));
  Val s = Val::String("abc");
  std::vector<uint64_t> flat;
  ASSERT_TRUE(LowerParams(env, {}, ty.Func({ty.P(kString)}, nullptr), std::span<const Val>(&s, 1), flat).ok());
  const uint64_t string_at[] = {192};
  std::memcpy(&env.mem[192], &flat[0], 4);
  std::memcpy(&env.mem[196], &flat[1], 4);
  ASSERT_TRUE(LiftResultsInto(env, {}, fs, string_at, out).ok());
  EXPECT_EQ(out[0], s);
}

TEST(AbiCalls, MoreThanSixteenFlatFromAggregates) {
  // A record of 9 strings is 18 flat values: spilled even though it is one parameter.
  Types ty;
  std::vector<NamedType> fields;
  std::vector<Val> items;
  for (int i = 0; i < 9; ++i) {
    fields.push_back({Name("s", i), ty.P(kString)});
    items.push_back(Val::String(std::string(i, 'x')));
  }
  TypeRef rec = ty.Record(fields);
  TypeRef f = ty.Func({rec}, rec);
  FlatFuncType flat_type = FlattenFuncType(f, false);
  EXPECT_TRUE(flat_type.params_indirect);
  EXPECT_TRUE(flat_type.results_indirect);
  for (StringEncoding enc : {StringEncoding::kUtf8, StringEncoding::kUtf16, StringEncoding::kLatin1Utf16}) {
    FakeEnv env;
    Val v = Agg(TypeKind::kRecord, items);
    std::vector<uint64_t> flat;
    ASSERT_TRUE(LowerParams(env, Enc(enc), f, std::span<const Val>(&v, 1), flat).ok());
    ASSERT_EQ(flat.size(), 1u);
    EXPECT_EQ(env.calls[0], (ReallocCall{0, 0, 4, 72}));
    auto back = LiftParams(env, Enc(enc), f, flat);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ((*back)[0], v);
    auto res = LiftResults(env, Enc(enc), f, flat);  // same layout as a result
    ASSERT_TRUE(res.ok());
    EXPECT_EQ((*res)[0], v);
  }
}

// ---------------------------------------------------------------------------------------------
// Round trips of every type through every path and encoding.

TEST(AbiRoundTrip, EveryTypeEveryEncoding) {
  Fixture fx;
  Types& ty = fx.ty;
  TypeRef res_t = ty.Resource();
  struct Item {
    TypeRef t;
    Val v;
  };
  std::vector<Item> items = {
      {ty.P(kBool), Val::Bool(false)},
      {ty.P(kS8), Val::S8(-128)},
      {ty.P(kU8), Val::U8(255)},
      {ty.P(kS16), Val::S16(-32768)},
      {ty.P(kU16), Val::U16(65535)},
      {ty.P(kS32), Val::S32(INT32_MIN)},
      {ty.P(kU32), Val::U32(UINT32_MAX)},
      {ty.P(kS64), Val::S64(INT64_MIN)},
      {ty.P(kU64), Val::U64(UINT64_MAX)},
      {ty.P(kF32), Val::F32(-0.0f)},
      {ty.P(kF64), Val::F64(1e300)},
      {ty.P(kF64), Val::Make(kF64, 0x7ff0000000000000)},  // inf
      {ty.P(kChar), Val::Char(0x10FFFF)},
      {ty.P(kChar), Val::Char(0xE000)},
      {ty.P(kString), Val::String("mixed \xc3\xbf \xe2\x82\xac \xf0\x9f\x98\x80 end")},
      {ty.List(ty.P(kU8)), Agg(TypeKind::kList, {})},
      {ty.List(ty.List(ty.P(kString))),
       Agg(TypeKind::kList, {Agg(TypeKind::kList, {Val::String("a")}), Agg(TypeKind::kList, {})})},
      {fx.prims, fx.PrimsVal()},
      {ty.Tuple({ty.P(kU8), ty.P(kU64), ty.P(kString)}),
       Agg(TypeKind::kTuple, {Val::U8(1), Val::U64(2), Val::String("three")})},
      {fx.vmix, Case(TypeKind::kVariant, 1, Agg(TypeKind::kTuple, {Val::F64(-1), Val::F32(3), Val::U8(4)}))},
      {fx.vmix, Case(TypeKind::kVariant, 0, Agg(TypeKind::kTuple, {Val::F32(0.25f), Val::U32(9)}))},
      {fx.vmix, Case(TypeKind::kVariant, 2, Val::String("\xc3\xa9"))},
      {ty.Enum(3), Case(TypeKind::kEnum, 2)},
      {ty.Option(ty.Option(ty.P(kU8))), Case(TypeKind::kOption, 1, Case(TypeKind::kOption, 0))},
      {ty.Result(nullptr, ty.P(kString)), Case(TypeKind::kResult, 0)},
      {ty.Result(ty.List(ty.P(kChar)), nullptr),
       Case(TypeKind::kResult, 0, Agg(TypeKind::kList, {Val::Char('a'), Val::Char(0x1F600)}))},
      {ty.Flags(32), Val::Make(TypeKind::kFlags, 0x80000001)},
      {ty.Flags(3), Val::Make(TypeKind::kFlags, 5)},
      {ty.Own(res_t), Val::Own({ResourceType{&fx}, 77})},
      {ty.Borrow(res_t), Val::Borrow({ResourceType{&fx}, 78})},
  };
  for (StringEncoding enc : {StringEncoding::kUtf8, StringEncoding::kUtf16, StringEncoding::kLatin1Utf16}) {
    for (size_t i = 0; i < items.size(); ++i) {
      SCOPED_TRACE("item " + std::to_string(i) + " encoding " + std::to_string(static_cast<int>(enc)));
      const Item& it = items[i];
      FakeEnv env;
      ASSERT_TRUE(Store(env, Enc(enc), it.t, it.v, 64).ok());
      auto loaded = Load(env, Enc(enc), it.t, 64);
      ASSERT_TRUE(loaded.ok()) << loaded.error().message();
      EXPECT_EQ(*loaded, it.v);

      TypeRef f = ty.Func({it.t}, it.t);
      std::vector<uint64_t> flat;
      ASSERT_TRUE(LowerParams(env, Enc(enc), f, std::span<const Val>(&it.v, 1), flat).ok());
      auto lifted = LiftParams(env, Enc(enc), f, flat);
      ASSERT_TRUE(lifted.ok()) << lifted.error().message();
      EXPECT_EQ((*lifted)[0], it.v);

      // canon lower exit then canon lift exit: results flat (1 value) or via a return area.
      std::vector<uint64_t> flat_results;
      const uint64_t flat_args[] = {192};  // below the fake's heap (256)
      ASSERT_TRUE(LowerResults(env, Enc(enc), f, std::span<const Val>(&it.v, 1), flat_args, flat_results).ok());
      std::vector<uint64_t> as_lift = flat_results.empty() ? std::vector<uint64_t>{192} : flat_results;
      auto result = LiftResults(env, Enc(enc), f, as_lift);
      ASSERT_TRUE(result.ok()) << result.error().message();
      EXPECT_EQ((*result)[0], it.v);
    }
  }
}

TEST(AbiRoundTrip, MemoryGrowsDuringRealloc) {
  // The memory span must be re-read after realloc: the fake reallocates its vector.
  Types ty;
  FakeEnv env(256, 200);
  env.grow_on_realloc = true;
  TypeRef t = ty.List(ty.P(kString));
  std::vector<Val> strs;
  for (int i = 0; i < 50; ++i) strs.push_back(Val::String(std::string(100, static_cast<char>('a' + i % 26))));
  Val v = Agg(TypeKind::kList, strs);
  for (StringEncoding enc : {StringEncoding::kUtf8, StringEncoding::kUtf16, StringEncoding::kLatin1Utf16}) {
    ASSERT_TRUE(Store(env, Enc(enc), t, v, 16).ok());
    auto back = Load(env, Enc(enc), t, 16);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, v);
  }
}

// ---------------------------------------------------------------------------------------------
// list<u8> as packed bytes (component_types.h): lowered from either form, lifted packed.

/// The element form of `bytes`.
Val ByteItems(const std::string& bytes) {
  std::vector<Val> items;
  for (char c : bytes) items.push_back(Val::U8(static_cast<uint8_t>(c)));
  return Agg(TypeKind::kList, std::move(items));
}

std::string MemString(const FakeEnv& env, uint64_t ptr, uint64_t n) {
  return std::string(reinterpret_cast<const char*>(env.mem.data() + ptr), n);
}

void ExpectPacked(const Val& v, const std::string& bytes) {
  EXPECT_EQ(v.kind, TypeKind::kList);
  EXPECT_TRUE(v.items.empty());
  EXPECT_EQ(v.str, bytes);
}

TEST(AbiBytes, BothFormsThroughStoreLoadAndCalls) {
  Types ty;
  TypeRef lb = ty.List(ty.P(kU8));
  TypeRef rec = ty.Record({{"n", ty.P(kU32)}, {"b", lb}});
  const std::string bytes("\x00\x01\x80\xff" "abc", 7);
  for (const Val& v : {Val::Bytes(bytes), ByteItems(bytes)}) {
    SCOPED_TRACE(v.packed_bytes() ? "packed" : "items");
    {  // store / load: one realloc of exactly the bytes, then the bytes themselves.
      FakeEnv env;
      ASSERT_TRUE(Store(env, {}, lb, v, 16).ok());
      EXPECT_EQ(env.calls, (std::vector<ReallocCall>{{0, 0, 1, 7}}));
      uint32_t ptr = 0, len = 0;
      std::memcpy(&ptr, &env.mem[16], 4);
      std::memcpy(&len, &env.mem[20], 4);
      EXPECT_EQ(ptr, 256u);
      EXPECT_EQ(len, 7u);
      EXPECT_EQ(MemString(env, ptr, len), bytes);
      auto back = Load(env, {}, lb, 16);
      ASSERT_TRUE(back.ok()) << back.error().message();
      ExpectPacked(*back, bytes);
      EXPECT_EQ(*back, v);
    }
    {  // flat params, one list<u8> bare and one inside a record.
      FakeEnv env;
      TypeRef f = ty.Func({lb, rec}, lb);
      const std::vector<Val> args = {v, Agg(TypeKind::kRecord, {Val::U32(9), v})};
      std::vector<uint64_t> flat;
      ASSERT_TRUE(LowerParams(env, {}, f, args, flat).ok());
      ASSERT_EQ(flat.size(), 5u);
      EXPECT_EQ(flat[1], 7u);
      EXPECT_EQ(flat[4], 7u);
      EXPECT_EQ(MemString(env, flat[0], 7), bytes);
      EXPECT_EQ(MemString(env, flat[3], 7), bytes);
      auto lifted = LiftParams(env, {}, f, flat);
      ASSERT_TRUE(lifted.ok()) << lifted.error().message();
      ASSERT_EQ(lifted->size(), 2u);
      ExpectPacked((*lifted)[0], bytes);
      ExpectPacked((*lifted)[1].items[1], bytes);
      EXPECT_EQ(*lifted, args);
      // Results through the return area (a list is 2 flat values).
      const uint64_t flat_args[] = {0, 0, 0, 0, 0, 192};
      std::vector<uint64_t> flat_results;
      ASSERT_TRUE(LowerResults(env, {}, f, std::span<const Val>(&v, 1), flat_args, flat_results).ok());
      EXPECT_TRUE(flat_results.empty());
      const uint64_t ret[] = {192};
      auto result = LiftResults(env, {}, f, ret);
      ASSERT_TRUE(result.ok()) << result.error().message();
      ExpectPacked((*result)[0], bytes);
      EXPECT_EQ((*result)[0], v);
    }
  }
}

TEST(AbiBytes, EmptyLargeAndReused) {
  Types ty;
  TypeRef lb = ty.List(ty.P(kU8));
  {  // The empty list: the same in both forms, nothing copied.
    FakeEnv env;
    ASSERT_TRUE(Store(env, {}, lb, Val::Bytes(std::string()), 16).ok());
    auto back = Load(env, {}, lb, 16);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->kind, TypeKind::kList);
    EXPECT_TRUE(back->items.empty() && back->str.empty());
  }
  {  // 1 MiB through a memory that grows inside realloc.
    FakeEnv env(256, 64);
    env.grow_on_realloc = true;
    std::string big(1 << 20, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + (i >> 10));
    ASSERT_TRUE(Store(env, {}, lb, Val::Bytes(big), 16).ok());
    auto back = Load(env, {}, lb, 16);
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_TRUE(back->str == big);
    // The byte length limit of lifting (2^28-1) applies to packed lists too.
    uint32_t too_long = 1u << 28;
    std::memcpy(&env.mem[20], &too_long, 4);
    EXPECT_EQ(Load(env, {}, lb, 16).error().code(), ErrorCode::kTrap);
  }
  {  // LiftParamsInto reuse: an element-form list<u8>, packed bytes, then a list<string>
     // in the same slot never leave stale str or items behind.
    FakeEnv env;
    TypeRef fb = ty.Func({lb}, nullptr);
    TypeRef fs = ty.Func({ty.List(ty.P(kString))}, nullptr);
    std::vector<Val> out = {ByteItems("old")};
    std::vector<uint64_t> flat;
    Val b = Val::Bytes("xyz");
    ASSERT_TRUE(LowerParams(env, {}, fb, std::span<const Val>(&b, 1), flat).ok());
    ASSERT_TRUE(LiftParamsInto(env, {}, fb, flat, out).ok());
    ExpectPacked(out[0], "xyz");
    Val strs = Agg(TypeKind::kList, {Val::String("s")});
    flat.clear();
    ASSERT_TRUE(LowerParams(env, {}, fs, std::span<const Val>(&strs, 1), flat).ok());
    ASSERT_TRUE(LiftParamsInto(env, {}, fs, flat, out).ok());
    EXPECT_TRUE(out[0].str.empty());
    EXPECT_EQ(out[0], strs);
    flat.clear();
    ASSERT_TRUE(LowerParams(env, {}, fb, std::span<const Val>(&b, 1), flat).ok());
    ASSERT_TRUE(LiftParamsInto(env, {}, fb, flat, out).ok());
    ExpectPacked(out[0], "xyz");
  }
}

// ---------------------------------------------------------------------------------------------
// Lifting rules: what the spec accepts leniently.

TEST(AbiLift, LenientValues) {
  Types ty;
  FakeEnv env;
  Options o;
  // bool: any non-zero i32 is true.
  env.mem[16] = 2;
  EXPECT_EQ(*Load(env, o, ty.P(kBool), 16), Val::Bool(true));
  TypeRef fb = ty.Func({ty.P(kBool)}, nullptr);
  const uint64_t two[] = {0x100000000ull | 2};
  EXPECT_EQ((*LiftParams(env, o, fb, two))[0], Val::Bool(true));
  // Integers narrower than i32 are truncated (lift_flat_unsigned/signed), not trapped.
  TypeRef fu8 = ty.Func({ty.P(kU8), ty.P(kS8), ty.P(kS16)}, nullptr);
  const uint64_t wide[] = {0x1ff, 0xff, 0x18000};
  auto ints = LiftParams(env, o, fu8, wide);
  ASSERT_TRUE(ints.ok());
  EXPECT_EQ((*ints)[0], Val::U8(0xff));
  EXPECT_EQ((*ints)[1], Val::S8(-1));
  EXPECT_EQ((*ints)[2], Val::S16(-32768));
  // Flags bits beyond the labels are ignored (unpack_flags_from_int).
  TypeRef fl = ty.Flags(3);
  env.mem[20] = 0xff;
  EXPECT_EQ(*Load(env, o, fl, 20), Val::Make(TypeKind::kFlags, 7));
  // NaNs lift canonical.
  uint32_t snan = 0xffa00000;
  std::memcpy(&env.mem[24], &snan, 4);
  EXPECT_EQ(Load(env, o, ty.P(kF32), 24)->bits, 0x7fc00000u);
  uint64_t nan64 = 0xfff0000000000001;
  std::memcpy(&env.mem[32], &nan64, 8);
  EXPECT_EQ(Load(env, o, ty.P(kF64), 32)->bits, 0x7ff8000000000000u);
  // A joined i64 slot holding an f32 payload wraps to the low 32 bits.
  TypeRef vf = ty.Variant({{"x", ty.P(kF32)}, {"y", ty.P(kU64)}});
  TypeRef fv = ty.Func({vf}, nullptr);
  const uint64_t slots[] = {0, 0xdead00003f800000ull};
  EXPECT_EQ((*LiftParams(env, o, fv, slots))[0], Case(TypeKind::kVariant, 0, Val::F32(1.0f)));
  // A latin1+utf16 string with the tag lifts as UTF-16; without it as latin-1.
  const uint8_t utf16[] = {0x41, 0, 0xac, 0x20};
  std::memcpy(&env.mem[100], utf16, 4);
  TypeRef fs = ty.Func({ty.P(kString)}, nullptr);
  const uint64_t tagged[] = {100, 0x80000002};
  EXPECT_EQ((*LiftParams(env, Enc(StringEncoding::kLatin1Utf16), fs, tagged))[0].str, "A\xe2\x82\xac");
  const uint64_t untagged[] = {100, 4};
  EXPECT_EQ((*LiftParams(env, Enc(StringEncoding::kLatin1Utf16), fs, untagged))[0].str,
            std::string("A\0\xc2\xac ", 5));
}

// ---------------------------------------------------------------------------------------------
// Traps.

void ExpectTrap(const Error& e, const std::string& needle) {
  ASSERT_FALSE(e.ok()) << "expected a trap mentioning " << needle;
  EXPECT_EQ(e.code(), ErrorCode::kTrap) << e.message();
  EXPECT_NE(e.message().find(needle), std::string::npos) << e.message();
}
template <typename T>
void ExpectTrap(const Expected<T>& r, const std::string& needle) {
  ASSERT_FALSE(r.ok()) << "expected a trap mentioning " << needle;
  ExpectTrap(r.error(), needle);
}

TEST(AbiTraps, PointersAndBounds) {
  Types ty;
  FakeEnv env;
  Options o;
  ExpectTrap(Load(env, o, ty.P(kU32), 2), "not aligned to 4");
  ExpectTrap(Load(env, o, ty.P(kU64), 4096), "out of bounds");
  ExpectTrap(Load(env, o, ty.P(kU64), 4092 - 4 + 8), "out of bounds");
  ExpectTrap(Store(env, o, ty.P(kU16), Val::U16(1), 1), "not aligned to 2");
  ExpectTrap(Store(env, o, ty.P(kString), Val::String("x"), 4096), "out of bounds");
  TypeRef fs = ty.Func({ty.P(kString)}, nullptr);
  // String byte ranges.
  const uint64_t past_end[] = {4090, 7};
  ExpectTrap(LiftParams(env, o, fs, past_end), "string");
  const uint64_t wraps[] = {0xffffffff, 2};
  ExpectTrap(LiftParams(env, o, fs, wraps), "out of bounds");
  const uint64_t odd16[] = {17, 1};
  ExpectTrap(LiftParams(env, Enc(StringEncoding::kUtf16), fs, odd16), "not aligned to 2");
  ExpectTrap(LiftParams(env, Enc(StringEncoding::kLatin1Utf16), fs, odd16), "not aligned to 2");
  const uint64_t huge[] = {0, 1u << 28};
  ExpectTrap(LiftParams(env, o, fs, huge), "maximum");
  const uint64_t huge16[] = {0, 0x80000000u | (1u << 27)};
  ExpectTrap(LiftParams(env, Enc(StringEncoding::kLatin1Utf16), fs, huge16), "maximum");
  // Lists.
  TypeRef fl = ty.Func({ty.List(ty.P(kU32))}, nullptr);
  const uint64_t list_misaligned[] = {18, 1};
  ExpectTrap(LiftParams(env, o, fl, list_misaligned), "not aligned to 4");
  const uint64_t list_oob[] = {4000, 25};
  ExpectTrap(LiftParams(env, o, fl, list_oob), "out of bounds");
  const uint64_t list_huge[] = {0, 1u << 26};
  ExpectTrap(LiftParams(env, o, fl, list_huge), "maximum");
  // An element inside a list inside memory: list of strings whose second points out.
  TypeRef fls = ty.Func({ty.List(ty.P(kString))}, nullptr);
  uint32_t elems[] = {0, 0, 4000, 200};
  std::memcpy(&env.mem[64], elems, sizeof elems);
  const uint64_t list_of_strings[] = {64, 2};
  ExpectTrap(LiftParams(env, o, fls, list_of_strings), "out of bounds");
}

TEST(AbiTraps, ReallocResults) {
  Types ty;
  TypeRef f = ty.Func({ty.P(kString), ty.List(ty.P(kU64))}, nullptr);
  std::vector<Val> args = {Val::String("abc"), Agg(TypeKind::kList, {Val::U64(1)})};
  std::vector<uint64_t> flat;
  {
    FakeEnv env;
    env.realloc_override = 4094;  // 3 bytes would end past the memory
    ExpectTrap(LowerParams(env, {}, f, args, flat), "out of bounds");
  }
  {
    FakeEnv env;
    env.realloc_override = 3;  // misaligned for utf16
    ExpectTrap(LowerParams(env, Enc(StringEncoding::kUtf16), f, args, flat), "not aligned to 2");
  }
  {
    FakeEnv env;
    env.realloc_override = 3;  // fine for the utf8 string, misaligned for list<u64>
    ExpectTrap(LowerParams(env, {}, f, args, flat), "not aligned to 8");
  }
  {
    FakeEnv env;
    env.no_realloc = true;
    ExpectTrap(LowerParams(env, {}, f, args, flat), "no realloc");
  }
}

TEST(AbiTraps, Chars) {
  Types ty;
  FakeEnv env;
  TypeRef fc = ty.Func({ty.P(kChar)}, nullptr);
  for (uint64_t bad : {0xD800ull, 0xDFFFull, 0x110000ull, 0xffffffffull}) {
    const uint64_t flat[] = {bad};
    ExpectTrap(LiftParams(env, {}, fc, flat), "not a Unicode scalar value");
    uint32_t v = static_cast<uint32_t>(bad);
    std::memcpy(&env.mem[16], &v, 4);
    ExpectTrap(Load(env, {}, ty.P(kChar), 16), "not a Unicode scalar value");
  }
  const uint64_t ok[] = {0xD7FF};
  EXPECT_TRUE(LiftParams(env, {}, fc, ok).ok());
}

TEST(AbiTraps, Discriminants) {
  Fixture fx;
  Types& ty = fx.ty;
  FakeEnv env;
  TypeRef fv = ty.Func({fx.v3}, nullptr);
  const uint64_t bad[] = {3, 0};
  ExpectTrap(LiftParams(env, {}, fv, bad), "discriminant 3 of a variant");
  env.mem[16] = 3;
  ExpectTrap(Load(env, {}, fx.v3, 16), "out of range for 3 cases");
  env.mem[16] = 2;
  ExpectTrap(Load(env, {}, ty.Option(ty.P(kU8)), 16), "of an option");
  ExpectTrap(Load(env, {}, ty.Result(nullptr, nullptr), 16), "of a result");
  ExpectTrap(Load(env, {}, ty.Enum(2), 16), "of an enum");
  // u16 discriminant of a 300-case enum.
  env.mem[16] = 0x2c;
  env.mem[17] = 0x01;
  ExpectTrap(Load(env, {}, fx.enum300, 16), "discriminant 300");
  env.mem[17] = 0x00;
  EXPECT_EQ(*Load(env, {}, fx.enum300, 16), Case(TypeKind::kEnum, 0x2c));
}

TEST(AbiTraps, BadUtf8AndUtf16) {
  Types ty;
  FakeEnv env;
  TypeRef fs = ty.Func({ty.P(kString)}, nullptr);
  auto lift = [&](StringEncoding enc, std::initializer_list<uint8_t> bytes, uint32_t units) {
    std::copy(bytes.begin(), bytes.end(), env.mem.begin() + 128);
    const uint64_t flat[] = {128, units};
    return LiftParams(env, Enc(enc), fs, flat);
  };
  ExpectTrap(lift(StringEncoding::kUtf8, {0x80}, 1), "not valid UTF-8");
  ExpectTrap(lift(StringEncoding::kUtf8, {0xc0, 0x80}, 2), "not valid UTF-8");        // overlong
  ExpectTrap(lift(StringEncoding::kUtf8, {0xed, 0xa0, 0x80}, 3), "not valid UTF-8");  // surrogate
  ExpectTrap(lift(StringEncoding::kUtf8, {0xf4, 0x90, 0x80, 0x80}, 4), "not valid UTF-8");
  ExpectTrap(lift(StringEncoding::kUtf8, {'a', 0xe2, 0x82}, 3), "byte 1");  // truncated
  EXPECT_TRUE(lift(StringEncoding::kUtf8, {0xf4, 0x8f, 0xbf, 0xbf}, 4).ok());
  ExpectTrap(lift(StringEncoding::kUtf16, {0x00, 0xd8}, 1), "unpaired surrogate");
  ExpectTrap(lift(StringEncoding::kUtf16, {0x00, 0xdc, 0x00, 0xd8}, 2), "unpaired surrogate");
  ExpectTrap(lift(StringEncoding::kUtf16, {0x00, 0xd8, 0x41, 0x00}, 2), "unpaired surrogate");
  ExpectTrap(lift(StringEncoding::kLatin1Utf16, {0x00, 0xd8}, 0x80000001), "unpaired surrogate");
  auto ok = lift(StringEncoding::kUtf16, {0x3d, 0xd8, 0x00, 0xde}, 2);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)[0].str, "\xf0\x9f\x98\x80");
  // A host string that is not UTF-8 cannot be transcoded (a host bug, not a guest trap).
  std::vector<uint64_t> flat;
  Val bad = Val::String("\xff");
  Error e = LowerParams(env, Enc(StringEncoding::kUtf16), fs, std::span<const Val>(&bad, 1), flat);
  EXPECT_EQ(e.code(), ErrorCode::kArgument);
}

TEST(AbiTraps, RandomGuestDataNeverCrashes) {
  // Lifting arbitrary memory and flat values either succeeds or traps (run under the
  // sanitizers, this is a small deterministic fuzz of every lifting path).
  Fixture fx;
  Types& ty = fx.ty;
  TypeRef r = ty.Resource();
  TypeRef big = ty.Record({{"p", fx.prims},
                           {"n", fx.nest},
                           {"l", ty.List(ty.Tuple({fx.vmix, ty.Flags(20), ty.P(kChar)}))},
                           {"e", fx.enum300},
                           {"o", ty.Option(ty.Own(r))},
                           {"b", ty.Result(ty.Borrow(r), ty.List(ty.List(ty.P(kString))))}});
  TypeRef flat_f = ty.Func({fx.vmix, ty.P(kString), ty.List(fx.nest), fx.res, ty.P(kChar)}, nullptr);
  TypeRef spilled_f = ty.Func({big, big}, big);
  TypeRef small_f = ty.Func({ty.List(ty.P(kU8)), ty.P(kString), ty.Option(ty.P(kU16)), ty.P(kBool)}, nullptr);
  TypeRef small = ty.List(ty.Tuple({ty.P(kU8), ty.P(kString)}));
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  auto next = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  size_t ok = 0, traps = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    FakeEnv env(1024);
    // Mostly small numbers so that pointers and lengths often land inside the memory.
    for (auto& b : env.mem) b = static_cast<uint8_t>(next() % 7 == 0 ? next() : next() % 4);
    for (int k = 0; k < 3; ++k) ASSERT_TRUE(env.LowerOwn(r, {ResourceType{&env}, static_cast<uint32_t>(k)}).ok());
    std::vector<uint64_t> flat(32);
    for (auto& v : flat) v = next() % 8 == 0 ? next() : next() % 16;
    const auto enc = static_cast<StringEncoding>(iter % 3);
    for (auto [f, t] : {std::pair{flat_f, big}, std::pair{spilled_f, fx.nest}, std::pair{small_f, small}}) {
      auto params = LiftParams(env, Enc(enc), f, flat);
      (params.ok() ? ok : traps)++;
      if (!params.ok()) {
        EXPECT_EQ(params.error().code(), ErrorCode::kTrap) << params.error().message();
      }
      auto one = Load(env, Enc(enc), t, static_cast<uint32_t>(next() % 1024));
      (one.ok() ? ok : traps)++;
      if (!one.ok()) {
        EXPECT_EQ(one.error().code(), ErrorCode::kTrap) << one.error().message();
      }
    }
  }
  // Both outcomes occur, so the generator reaches past the first checks.
  EXPECT_GT(ok, 50u);
  EXPECT_GT(traps, 50u);
}

TEST(AbiTraps, HandlesAndUnsupported) {
  Types ty;
  FakeEnv env;
  TypeRef r = ty.Resource();
  TypeRef fo = ty.Func({ty.Own(r)}, nullptr);
  const uint64_t h[] = {5};
  ExpectTrap(LiftParams(env, {}, fo, h), "unknown own handle 5");
  // Own handles move: lifting one removes it from the table.
  ResourceAny res{ResourceType{&env}, 9};
  auto lowered = env.LowerOwn(r, res);
  const uint64_t h1[] = {*lowered};
  EXPECT_EQ((*LiftParams(env, {}, fo, h1))[0], Val::Own(res));
  ExpectTrap(LiftParams(env, {}, fo, h1), "unknown own handle");
  TypeRef stream = ty.Elem(TypeKind::kStream, ty.P(kU8));
  TypeRef fst = ty.Func({stream}, nullptr);
  const uint64_t z[] = {0};
  ExpectTrap(LiftParams(env, {}, fst, z), "stream values are not supported");
  ExpectTrap(Load(env, {}, ty.Elem(TypeKind::kFuture, nullptr), 0), "future values are not supported");
  ExpectTrap(Load(env, {}, ty.P(TypeKind::kErrorContext), 0), "error-context");
}

}  // namespace
}  // namespace abi
}  // namespace weft::component
