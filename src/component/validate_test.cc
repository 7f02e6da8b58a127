// Tests for DecodeComponent (validate.cc): binaries built by test_encoder.h for every section
// kind and each validation rule (accepted and refused), truncation at every byte offset, the
// jco-made hello component (testdata/hello.cm.wasm: `jco new` of a C preview1 program), and
// components written in the text format and turned into binaries by `jco parse`
// (testdata/*.wat beside the committed .wasm).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "component/def.h"
#include "component/names.h"
#include "component/test_encoder.h"

namespace weft::component {
namespace {

using namespace testenc;

std::string TestData(const char* name) {
  return std::string(WEFT_TEST_SRC_DIR) + "/testdata/" + name;
}

Bytes ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// With WEFT_COMPONENT_SEED_DIR set, every binary the tests decode is also written there: the
// seed corpus for component_fuzz.
void MaybeSaveSeed(const Bytes& b) {
  static int n = 0;
  const char* dir = std::getenv("WEFT_COMPONENT_SEED_DIR");
  if (!dir) return;
  std::ofstream(std::string(dir) + "/seed-" + std::to_string(n++) + ".wasm", std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Expects a decode failure with `code` whose message contains `what`.
void ExpectError(const Bytes& b, ErrorCode code, const std::string& what) {
  MaybeSaveSeed(b);
  auto r = DecodeComponent(b);
  ASSERT_FALSE(r.ok()) << "expected an error containing `" << what << "`";
  EXPECT_EQ(r.error().code(), code) << r.error().message();
  EXPECT_NE(r.error().message().find(what), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find(" at offset "), std::string::npos) << r.error().message();
}
void ExpectInvalid(const Bytes& b, const std::string& what) { ExpectError(b, ErrorCode::kInvalid, what); }
void ExpectMalformed(const Bytes& b, const std::string& what) { ExpectError(b, ErrorCode::kMalformed, what); }

std::unique_ptr<ComponentFile> Ok(const Bytes& b) {
  MaybeSaveSeed(b);
  auto r = DecodeComponent(b);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? std::move(*r) : nullptr;
}

// Type section items.
Enc FuncU32ToU32() { return Enc().u8(0x40).u32(1).name("x").u8(kU32).u8(0x00).u8(kU32); }
Enc FuncVoid() { return Enc().u8(0x40).u32(0).bytes({0x01, 0x00}); }
Enc ImportFunc(const char* name, uint32_t type) { return Enc().ename(name).u8(0x01).u32(type); }
Enc ExportFunc(const char* name, uint32_t func) { return Enc().ename(name).u8(0x01).u32(func).u8(0x00); }
Enc CoreAliasFunc(uint32_t inst, const char* name) { return Enc().bytes({0x00, 0x00, 0x01}).u32(inst).name(name); }
Enc Lift(uint32_t core_func, uint32_t type, std::initializer_list<uint8_t> opts = {}, uint32_t nopts = 0) {
  Enc e;
  e.bytes({0x00, 0x00}).u32(core_func).u32(nopts).bytes(opts).u32(type);
  return e;
}
Enc Instantiate(uint32_t module) { return Enc().u8(0x00).u32(module).u32(0); }

// A component that lifts a core function (i32) -> i32 as `func(x: u32) -> u32` and exports it.
Bytes LiftComponent(Enc type) {
  return Component({Section(1, CoreModule({kI32}, {kI32}, 1)), VecSection(2, {Instantiate(0)}),
                    VecSection(6, {CoreAliasFunc(0, "f0")}), VecSection(7, {type}), VecSection(8, {Lift(0, 0)}),
                    VecSection(11, {ExportFunc("f", 0)})});
}

// ---------------------------------------------------------------------------------------------

TEST(ComponentDecode, EmptyComponent) {
  auto f = Ok(Preamble());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->components.size(), 1u);
  EXPECT_TRUE(f->root().defs.empty());
  ASSERT_NE(f->root().type, nullptr);
  EXPECT_EQ(f->root().type->kind, TypeKind::kComponent);
  EXPECT_TRUE(IsComponent(Preamble()));
}

TEST(ComponentDecode, Preamble) {
  ExpectMalformed({0x00, 0x61, 0x73}, "unexpected end");
  ExpectMalformed({0x01, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00}, "magic header not detected");
  ExpectMalformed({0x00, 0x61, 0x73, 0x6d, 0x0c, 0x00, 0x01, 0x00}, "unsupported component version");
  ExpectMalformed({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}, "found a core module");
  ExpectMalformed({0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x02, 0x00}, "unknown layer");
  EXPECT_FALSE(IsComponent(Bytes{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}));
  EXPECT_TRUE(IsCoreModule(Bytes{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}));
  EXPECT_FALSE(IsCoreModule(Preamble()));
  EXPECT_FALSE(IsCoreModule(Bytes{0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00}));
  EXPECT_FALSE(IsCoreModule(Bytes{0x00, 0x61, 0x73, 0x6d}));
}

TEST(ComponentDecode, SectionFraming) {
  ExpectMalformed(Component({Bytes{0x0d, 0x00}}), "unknown section id 0x0d");
  ExpectMalformed(Component({Bytes{0x07, 0x05, 0x00}}), "section size 5 out of bounds");
  // A type section declaring one type but holding an extra byte.
  ExpectMalformed(Component({Section(7, Enc().u32(1).raw(FuncVoid()).u8(0x00).b)}), "section size mismatch");
  // A vector count larger than the bytes left is refused before anything is allocated.
  ExpectMalformed(Component({Section(7, Enc().u32(0xffffffff).b)}), "exceeds the remaining bytes");
  // Custom sections are skipped (contents unchecked), but their name must be valid.
  Ok(Component({Section(0, Enc().name("name").bytes({0xff, 0xfe}).b)}));
  ExpectMalformed(Component({Section(0, Bytes{0x05, 'a'})}), "length out of bounds");
  ExpectInvalid(Component({Section(12, Bytes{0x00})}), "unsupported: value definitions");
}

TEST(ComponentDecode, CoreModuleFramedAndScanned) {
  Bytes mod = CoreModule({kI32}, {kI32}, 2, true);
  auto f = Ok(Component({Section(1, mod)}));
  ASSERT_TRUE(f);
  ASSERT_EQ(f->modules.size(), 1u);
  EXPECT_EQ(f->modules[0].offset, 8u + 2u);  // preamble, section id, 1-byte size
  EXPECT_EQ(f->modules[0].size, mod.size());
  auto span = f->ModuleBytes(0);
  EXPECT_TRUE(std::equal(span.begin(), span.end(), mod.begin(), mod.end()));
  ASSERT_EQ(f->root().defs.size(), 1u);
  EXPECT_EQ(f->root().defs[0].kind, Definition::Kind::kCoreModule);
  Bytes bad = mod;
  bad[4] = 2;  // core version 2
  ExpectMalformed(Component({Section(1, bad)}), "core module: bad magic or version");
}

TEST(ComponentDecode, CoreInstancesCheckArguments) {
  // Module 0 exports f0: (i32) -> i32; module 1 imports env.i0 of that type.
  Bytes m0 = CoreModule({kI32}, {kI32}, 1), m1 = CoreModule({kI32}, {kI32}, 1, false, 1);
  Enc with_env = Enc().u8(0x00).u32(1).u32(1).name("env").u8(0x12).u32(1);
  // Instance 1 re-exports f0 under the name i0 (inline exports).
  Enc inline_exports = Enc().u8(0x01).u32(1).name("i0").u8(0x00).u32(0);
  auto f = Ok(Component({Section(1, m0), Section(1, m1), VecSection(2, {Instantiate(0)}),
                         VecSection(6, {CoreAliasFunc(0, "f0")}), VecSection(2, {inline_exports, with_env})}));
  ASSERT_TRUE(f);
  ASSERT_EQ(f->root().core_instances.size(), 3u);
  EXPECT_FALSE(f->root().core_instances[1].instantiate);
  EXPECT_EQ(f->root().core_instances[2].args[0].name, "env");
  EXPECT_EQ(f->root().core_instances[1].type->core_exports[0].name, "i0");
  EXPECT_EQ(f->root().core_instances[0].type, f->root().core_modules[0].type);
  EXPECT_EQ(f->root().aliases[0].type->core_params, std::vector<CoreValType>{CoreValType::kI32});
  // No argument named env.
  ExpectInvalid(Component({Section(1, m1), VecSection(2, {Instantiate(0)})}), "missing core instantiation argument `env`");
  // The argument lacks the export i0.
  Enc with_env0 = Enc().u8(0x00).u32(1).u32(1).name("env").u8(0x12).u32(0);
  ExpectInvalid(Component({Section(1, m0), Section(1, m1), VecSection(2, {Instantiate(0)}),
                           VecSection(2, {with_env0})}),
                "has no export `i0`");
  // Function type mismatch: module 0 exports () -> () here.
  Bytes m0v = CoreModule({}, {}, 1);
  ExpectInvalid(Component({Section(1, m0v), Section(1, m1), VecSection(2, {Instantiate(0)}),
                           VecSection(6, {CoreAliasFunc(0, "f0")}), VecSection(2, {inline_exports, with_env})}),
                "function type mismatch");
  ExpectInvalid(Component({VecSection(2, {Instantiate(0)})}), "core module index 0 out of bounds");
  ExpectInvalid(Component({VecSection(2, {Enc().u8(0x01).u32(1).name("x").u8(0x00).u32(0)})}), "core func index 0 out of bounds");
}

TEST(ComponentDecode, CoreTypesAndModuleImports) {
  // core type 0: func (i32) -> (); core type 1: module (import "a" "b" (func (type 0))) with
  // its own type space (declares the func type, then uses it).
  Enc functype = Enc().bytes({0x60, 0x01, kI32, 0x00});
  Enc modtype = Enc().u8(0x50).u32(3).u8(0x01).bytes({0x60, 0x01, kI32, 0x00})
                    .u8(0x00).name("a").name("b").u8(0x00).u32(0)
                    .u8(0x03).name("mem").bytes({0x02, 0x00, 0x01});
  Enc import_module = Enc().ename("m").bytes({0x00, 0x11}).u32(1);
  auto f = Ok(Component({VecSection(3, {functype, modtype}), VecSection(10, {import_module})}));
  ASSERT_TRUE(f);
  ASSERT_EQ(f->root().types.size(), 2u);
  EXPECT_TRUE(f->root().types[1].core);
  TypeRef mt = f->root().types[1].type;
  ASSERT_EQ(mt->kind, TypeKind::kCoreModule);
  ASSERT_EQ(mt->core_imports.size(), 1u);
  EXPECT_EQ(mt->core_imports[0].func_type->core_params, std::vector<CoreValType>{CoreValType::kI32});
  EXPECT_EQ(mt->core_exports[0].kind, 2);
  EXPECT_EQ(f->root().imports[0].desc.sort, ExternSort::kCoreModule);
  // An outer alias from a module type to the enclosing core function type.
  Enc aliasing = Enc().u8(0x50).u32(2).u8(0x02).bytes({0x10, 0x01}).u32(1).u32(0)
                     .u8(0x00).name("a").name("b").u8(0x00).u32(0);
  Ok(Component({VecSection(3, {functype, aliasing})}));
  // Module types cannot contain module types, and imported module types must be module types.
  ExpectInvalid(Component({VecSection(3, {Enc().u8(0x50).u32(1).u8(0x01).u8(0x50).u32(0)})}),
                "module types may only declare function types");
  ExpectInvalid(Component({VecSection(3, {functype}), VecSection(10, {Enc().ename("m").bytes({0x00, 0x11}).u32(0)})}),
                "is not a module type");
  ExpectInvalid(Component({VecSection(3, {Enc().bytes({0x4e, 0x00})})}), "unsupported core type form");
}

TEST(ComponentDecode, ValueTypes) {
  // 0: record{a: u32, b: string} 1: variant{x(u32), y} 2: list<0> 3: tuple<u32, 1>
  // 4: flags{r, w} 5: enum{p, q} 6: option<string> 7: result<u32, string> 8: result
  Enc rec = Enc().u8(0x72).u32(2).name("a").u8(kU32).name("b").u8(kString);
  Enc var = Enc().u8(0x71).u32(2).name("x").bytes({0x01, kU32, 0x00}).name("y").bytes({0x00, 0x00});
  Enc lst = Enc().u8(0x70).u8(0);
  Enc tup = Enc().u8(0x6f).u32(2).u8(kU32).u8(1);
  Enc flg = Enc().u8(0x6e).u32(2).name("r").name("w");
  Enc enm = Enc().u8(0x6d).u32(2).name("p").name("q");
  Enc opt = Enc().u8(0x6b).u8(kString);
  Enc res = Enc().u8(0x6a).bytes({0x01, kU32, 0x01, kString});
  Enc res0 = Enc().u8(0x6a).bytes({0x00, 0x00});
  auto f = Ok(Component({VecSection(7, {rec, var, lst, tup, flg, enm, opt, res, res0})}));
  ASSERT_TRUE(f);
  const auto& t = f->root().types;
  ASSERT_EQ(t.size(), 9u);
  EXPECT_EQ(TypeToString(t[0].type), "record { a: u32, b: string }");
  EXPECT_EQ(TypeToString(t[1].type), "variant { x(u32), y }");
  EXPECT_EQ(TypeToString(t[2].type), "list<record { a: u32, b: string }>");
  EXPECT_EQ(TypeToString(t[3].type), "tuple<u32, variant { x(u32), y }>");
  EXPECT_EQ(TypeToString(t[4].type), "flags { r, w }");
  EXPECT_EQ(TypeToString(t[5].type), "enum { p, q }");
  EXPECT_EQ(TypeToString(t[6].type), "option<string>");
  EXPECT_EQ(TypeToString(t[7].type), "result<u32, string>");
  EXPECT_EQ(TypeToString(t[8].type), "result");
  EXPECT_EQ(t[2].type->elem, t[0].type);
  EXPECT_TRUE(TypeEquals(t[6].type, t[6].type));
  EXPECT_FALSE(TypeEquals(t[6].type, t[2].type));

  ExpectInvalid(Component({VecSection(7, {Enc().u8(0x72).u32(0)})}), "record type must have at least one field");
  ExpectInvalid(Component({VecSection(7, {Enc().u8(0x71).u32(0)})}), "at least one case");
  ExpectInvalid(Component({VecSection(7, {Enc().u8(0x6f).u32(0)})}), "at least one element");
  ExpectInvalid(Component({VecSection(7, {Enc().u8(0x6d).u32(0)})}), "at least one case");
  Enc flags33 = Enc().u8(0x6e).u32(33);
  for (int i = 0; i < 33; ++i) flags33.name("f" + std::string(1, static_cast<char>('a' + i % 26)) + std::to_string(i));
  ExpectInvalid(Component({VecSection(7, {flags33})}), "at most 32 flags");
  ExpectInvalid(Component({VecSection(7, {Enc().u8(0x72).u32(2).name("a").u8(kU32).name("A").u8(kU32)})}),
                "duplicate field name `A`");
  ExpectInvalid(Component({VecSection(7, {Enc().u8(0x6d).u32(1).name("not_kebab")})}), "is not a valid label");
  ExpectInvalid(Component({VecSection(7, {Enc().u8(0x70).u8(3)})}), "type index 3 out of bounds");
  ExpectInvalid(Component({VecSection(7, {FuncVoid(), Enc().u8(0x70).u8(0)})}), "is not a value type");
  ExpectInvalid(Component({VecSection(7, {Enc().u8(0x69).u32(0)})}), "out of bounds");
  ExpectInvalid(Component({VecSection(7, {rec, Enc().u8(0x69).u32(0)})}), "is not a resource type");
  ExpectInvalid(Component({VecSection(7, {Enc().u8(0x66).bytes({0x01, kChar})})}), "stream<char>");
  ExpectInvalid(Component({VecSection(7, {Enc().u8(0x67).u8(kU32).u32(4)})}), "unsupported: fixed-size lists");
  ExpectMalformed(Component({VecSection(7, {Enc().u8(0x5f)})}), "invalid type form");
}

TEST(ComponentDecode, TypeDepthAndSizeAreBounded) {
  // list<list<...<u32>>> nested 150 deep: refused, not a stack overflow.
  Enc types;
  types.u32(150).u8(0x70).u8(kU32);
  for (uint32_t i = 1; i < 150; ++i) types.u8(0x70).idx(i - 1);
  ExpectInvalid(Component({Section(7, types.b)}), "type nesting exceeds the limit");
  // tuple<t, t> doubling: 2^40 nodes as a tree from 40 definitions.
  Enc dbl;
  dbl.u32(40).u8(0x6f).u32(2).u8(kU32).u8(kU32);
  for (uint32_t i = 1; i < 40; ++i) dbl.u8(0x6f).u32(2).idx(i - 1).idx(i - 1);
  ExpectInvalid(Component({Section(7, dbl.b)}), "effective type size exceeds the limit");
}

TEST(ComponentDecode, ResourcesAndHandles) {
  // type 0: resource (rep i32) (dtor core func 0); 1: own<0>; 2: borrow<0>;
  // 3: func(self: borrow<r>) ; canon resource.new/drop/rep 0.
  Bytes mod = CoreModule({kI32}, {}, 1);
  Enc resource = Enc().bytes({0x3f, kI32, 0x01}).u32(0);
  Enc own = Enc().u8(0x69).u32(0), borrow = Enc().u8(0x68).u32(0);
  auto f = Ok(Component({Section(1, mod), VecSection(2, {Instantiate(0)}), VecSection(6, {CoreAliasFunc(0, "f0")}),
                         VecSection(7, {resource, own, borrow}),
                         VecSection(8, {Enc().u8(0x02).u32(0), Enc().u8(0x03).u32(0), Enc().u8(0x04).u32(0)}),
                         VecSection(11, {Enc().ename("r").u8(0x03).u32(0).u8(0x00)})}));
  ASSERT_TRUE(f);
  TypeRef r = f->root().types[0].type;
  EXPECT_EQ(r->kind, TypeKind::kResource);
  EXPECT_EQ(r->resource_dtor, 0);
  EXPECT_EQ(r->name, "r");
  EXPECT_EQ(f->root().canons[0].kind, CanonDef::Kind::kResourceNew);
  EXPECT_EQ(f->root().canons[1].kind, CanonDef::Kind::kResourceDrop);
  EXPECT_EQ(f->root().canons[2].kind, CanonDef::Kind::kResourceRep);
  EXPECT_EQ(f->root().canons[0].type, r);
  EXPECT_EQ(f->root().exports[0].type, r);
  EXPECT_EQ(TypeToString(f->root().types[2].type), "borrow<r>");
  // Destructor of the wrong type ((i32) -> i32).
  Bytes mod2 = CoreModule({kI32}, {kI32}, 1);
  ExpectInvalid(Component({Section(1, mod2), VecSection(2, {Instantiate(0)}), VecSection(6, {CoreAliasFunc(0, "f0")}),
                           VecSection(7, {resource})}),
                "destructor must have type [i32] -> []");
  ExpectInvalid(Component({VecSection(7, {Enc().bytes({0x3f, kI64, 0x00})})}), "representation must be i32");
  // borrow in a function result.
  ExpectInvalid(Component({VecSection(7, {Enc().bytes({0x3f, kI32, 0x00}), borrow,
                                          Enc().u8(0x40).u32(0).u8(0x00).u8(1)})}),
                "results cannot contain borrow");
  // resource.new of an imported (abstract) resource.
  ExpectInvalid(Component({VecSection(10, {Enc().ename("r").bytes({0x03, 0x01})}), VecSection(8, {Enc().u8(0x02).u32(0)})}),
                "resource.new requires a resource defined in this component");
  // resource.drop of an imported resource is fine.
  Ok(Component({VecSection(10, {Enc().ename("r").bytes({0x03, 0x01})}), VecSection(8, {Enc().u8(0x03).u32(0)})}));
  // Resource types cannot be defined inside instance types.
  ExpectInvalid(Component({VecSection(7, {Enc().u8(0x42).u32(1).u8(0x01).bytes({0x3f, kI32, 0x00})})}),
                "resource types cannot be defined in component or instance types");
}

TEST(ComponentDecode, CanonLiftChecksTheCoreSignature) {
  auto f = Ok(LiftComponent(FuncU32ToU32()));
  ASSERT_TRUE(f);
  const CanonDef& c = f->root().canons[0];
  EXPECT_EQ(c.kind, CanonDef::Kind::kLift);
  EXPECT_EQ(TypeToString(c.type), "func(x: u32) -> u32");
  EXPECT_EQ(TypeToString(f->root().exports[0].type), "func(x: u32) -> u32");
  EXPECT_EQ(f->root().type->exports[0].name, "f");
  // (i32) -> i32 core function lifted as () -> ().
  ExpectInvalid(LiftComponent(FuncVoid()), "core function type does not match");
  // u64 flattens to i64.
  ExpectInvalid(LiftComponent(Enc().u8(0x40).u32(1).name("x").u8(kU64).u8(0x00).u8(kU32)), "does not match");
  // A string parameter needs memory and realloc.
  ExpectInvalid(LiftComponent(Enc().u8(0x40).u32(1).name("x").u8(kString).u8(0x00).u8(kU32)), "requires a memory option");
  // Bad option combinations.
  Bytes base = LiftComponent(FuncU32ToU32());
  Bytes dup_enc = Component({Section(1, CoreModule({kI32}, {kI32}, 1)), VecSection(2, {Instantiate(0)}),
                             VecSection(6, {CoreAliasFunc(0, "f0")}), VecSection(7, {FuncU32ToU32()}),
                             VecSection(8, {Lift(0, 0, {0x00, 0x01}, 2)})});
  ExpectInvalid(dup_enc, "conflicting string encoding options");
  Bytes bad_mem = Component({Section(1, CoreModule({kI32}, {kI32}, 1)), VecSection(2, {Instantiate(0)}),
                             VecSection(6, {CoreAliasFunc(0, "f0")}), VecSection(7, {FuncU32ToU32()}),
                             VecSection(8, {Lift(0, 0, {0x03, 0x00}, 1)})});
  ExpectInvalid(bad_mem, "memory index 0 out of bounds");
  Bytes not_func = Component({Section(1, CoreModule({kI32}, {kI32}, 1)), VecSection(2, {Instantiate(0)}),
                              VecSection(6, {CoreAliasFunc(0, "f0")}), VecSection(7, {Enc().u8(0x70).u8(kU32)}),
                              VecSection(8, {Lift(0, 0)})});
  ExpectInvalid(not_func, "is not a function type");
}

TEST(ComponentDecode, CanonLiftWithMemoryAndStrings) {
  // func(s: string) -> string: core (i32, i32) -> i32, needs memory + realloc; realloc is
  // (i32 i32 i32 i32) -> i32 from a second module.
  Bytes m = CoreModule({kI32, kI32}, {kI32}, 1, true);
  Bytes rm = CoreModule({kI32, kI32, kI32, kI32}, {kI32}, 1);
  Enc ft = Enc().u8(0x40).u32(1).name("s").u8(kString).u8(0x00).u8(kString);
  Enc mem_alias = Enc().bytes({0x00, 0x02, 0x01}).u32(0).name("mem");
  Bytes good = Component({Section(1, m), Section(1, rm), VecSection(2, {Instantiate(0), Instantiate(1)}),
                          VecSection(6, {CoreAliasFunc(0, "f0"), CoreAliasFunc(1, "f0"), mem_alias}),
                          VecSection(7, {ft}),
                          VecSection(8, {Enc().bytes({0x00, 0x00}).u32(0).u32(3).bytes({0x03, 0x00, 0x04, 0x01, 0x02}).u32(0)}),
                          VecSection(11, {ExportFunc("echo", 0)})});
  auto f = Ok(good);
  ASSERT_TRUE(f);
  const CanonDef& c = f->root().canons[0];
  EXPECT_EQ(c.memory, 0);
  EXPECT_EQ(c.realloc, 1);
  EXPECT_EQ(c.encoding, CanonDef::StringEncoding::kLatin1Utf16);
  // realloc of the wrong type (the lifted function itself).
  Bytes bad = Component({Section(1, m), VecSection(2, {Instantiate(0)}), VecSection(6, {CoreAliasFunc(0, "f0"), mem_alias}),
                         VecSection(7, {ft}),
                         VecSection(8, {Enc().bytes({0x00, 0x00}).u32(0).u32(2).bytes({0x03, 0x00, 0x04, 0x00}).u32(0)})});
  ExpectInvalid(bad, "realloc must have type");
}

// Lifts a core function of type (params) -> (results) with `type`; a memory is always
// available (core memory 0) and passed when `with_memory`; realloc is f0 of a second module
// with the realloc signature when `with_realloc`.
Bytes LiftWith(std::initializer_list<uint8_t> params, std::initializer_list<uint8_t> results, Enc type,
               bool with_memory, bool with_realloc) {
  Enc opts;
  uint32_t n = 0;
  if (with_memory) opts.bytes({0x03, 0x00}), ++n;
  if (with_realloc) opts.bytes({0x04, 0x01}), ++n;
  Enc lift = Enc().bytes({0x00, 0x00}).u32(0).u32(n).raw(opts).u32(0);
  return Component({Section(1, CoreModule(params, results, 1, true)),
                    Section(1, CoreModule({kI32, kI32, kI32, kI32}, {kI32}, 1)),
                    VecSection(2, {Instantiate(0), Instantiate(1)}),
                    VecSection(6, {CoreAliasFunc(0, "f0"), CoreAliasFunc(1, "f0"),
                                   Enc().bytes({0x00, 0x02, 0x01}).u32(0).name("mem")}),
                    VecSection(7, {type}), VecSection(8, {lift})});
}

TEST(ComponentDecode, CanonFlatteningLimits) {
  constexpr uint8_t kF = 0x7d, kD = 0x7c;  // core f32, f64
  // 16 u32 params stay flat; 17 spill to one pointer and need memory and realloc.
  auto params = [](int n) {
    Enc t = Enc().u8(0x40).u32(static_cast<uint32_t>(n));
    for (int i = 0; i < n; ++i) t.name("p" + std::to_string(i)).u8(kU32);
    return t.bytes({0x01, 0x00});
  };
  Ok(LiftWith({kI32, kI32, kI32, kI32, kI32, kI32, kI32, kI32, kI32, kI32, kI32, kI32, kI32, kI32, kI32, kI32}, {},
              params(16), false, false));
  Ok(LiftWith({kI32}, {}, params(17), true, true));
  ExpectInvalid(LiftWith({kI32}, {}, params(17), true, false), "requires a realloc option");
  ExpectInvalid(LiftWith({kI32}, {}, params(17), false, false), "requires a memory option");
  // Two flat results go through a return pointer (memory needed, no realloc).
  // type 0: tuple<u32, u32>; type 1: func() -> 0.
  Bytes ret = Component({Section(1, CoreModule({}, {kI32}, 1, true)), VecSection(2, {Instantiate(0)}),
                         VecSection(6, {CoreAliasFunc(0, "f0"), Enc().bytes({0x00, 0x02, 0x01}).u32(0).name("mem")}),
                         VecSection(7, {Enc().u8(0x6f).u32(2).u8(kU32).u8(kU32), Enc().u8(0x40).u32(0).u8(0x00).u8(0)}),
                         VecSection(8, {Enc().bytes({0x00, 0x00}).u32(0).u32(1).bytes({0x03, 0x00}).u32(1)})});
  Ok(ret);
  // Variant payloads join slot by slot: u32|f32 -> i32, then u64 -> i64: (i32 disc, i64).
  Enc var = Enc().u8(0x71).u32(3).name("a").bytes({0x01, kU32, 0x00}).name("b").bytes({0x01, kF32, 0x00})
                .name("c").bytes({0x01, kU64, 0x00});
  Bytes vb = Component({Section(1, CoreModule({kI32, kI64}, {}, 1)), VecSection(2, {Instantiate(0)}),
                        VecSection(6, {CoreAliasFunc(0, "f0")}),
                        VecSection(7, {var, Enc().u8(0x40).u32(1).name("v").u8(0).bytes({0x01, 0x00})}),
                        VecSection(8, {Enc().bytes({0x00, 0x00}).u32(0).u32(0).u32(1)})});
  Ok(vb);
  // Lowering func() -> tuple<u32, u32> gives core (i32) -> () (the return pointer), which
  // a module importing env.i0: (i32) -> () accepts; one importing (i32) -> (i32) does not.
  auto lowered = [&](std::initializer_list<uint8_t> results) {
    return Component({Section(1, CoreModule({}, {}, 1, true)), Section(1, CoreModule({kI32}, results, 1, false, 1)),
                      VecSection(2, {Instantiate(0)}),
                      VecSection(6, {Enc().bytes({0x00, 0x02, 0x01}).u32(0).name("mem")}),
                      VecSection(7, {Enc().u8(0x6f).u32(2).u8(kU32).u8(kU32), Enc().u8(0x40).u32(0).u8(0x00).u8(0)}),
                      VecSection(10, {ImportFunc("f", 1)}),
                      VecSection(8, {Enc().bytes({0x01, 0x00}).u32(0).u32(1).bytes({0x03, 0x00})}),
                      VecSection(2, {Enc().u8(0x01).u32(1).name("i0").u8(0x00).u32(0),
                                     Enc().u8(0x00).u32(1).u32(1).name("env").u8(0x12).u32(1)})});
  };
  Ok(lowered({}));
  ExpectInvalid(lowered({kI32}), "function type mismatch");
  // f32 alone stays f32; f32|f64 joins to i64.
  Ok(LiftWith({kF}, {}, Enc().u8(0x40).u32(1).name("x").u8(kF32).bytes({0x01, 0x00}), false, false));
  ExpectInvalid(LiftWith({kD}, {}, Enc().u8(0x40).u32(1).name("x").u8(kF32).bytes({0x01, 0x00}), false, false),
                "does not match");
}

TEST(ComponentDecode, CanonLowerAndOtherBuiltins) {
  // import f: func(x: u32) -> u32; lower it; a core module imports it as env.i0.
  Bytes m1 = CoreModule({kI32}, {kI32}, 1, false, 1);
  Enc inline_exports = Enc().u8(0x01).u32(1).name("i0").u8(0x00).u32(0);
  Enc with_env = Enc().u8(0x00).u32(0).u32(1).name("env").u8(0x12).u32(0);
  auto f = Ok(Component({VecSection(7, {FuncU32ToU32()}), VecSection(10, {ImportFunc("f", 0)}), Section(1, m1),
                         VecSection(8, {Enc().bytes({0x01, 0x00}).u32(0).u32(0), Enc().u8(0x1f),
                                        Enc().u8(0x0a).u8(kI32).u32(0)}),
                         VecSection(2, {inline_exports, with_env})}));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->root().canons[0].kind, CanonDef::Kind::kLower);
  EXPECT_EQ(f->root().canons[1].kind, CanonDef::Kind::kOther);
  EXPECT_EQ(f->root().canons[1].opcode, 0x1f);
  EXPECT_EQ(f->root().canons[2].opcode, 0x0a);
  // Lowering func(s: string) without memory.
  ExpectInvalid(Component({VecSection(7, {Enc().u8(0x40).u32(1).name("s").u8(kString).bytes({0x01, 0x00})}),
                           VecSection(10, {ImportFunc("f", 0)}), VecSection(8, {Enc().bytes({0x01, 0x00}).u32(0).u32(0)})}),
                "requires a memory option");
  ExpectInvalid(Component({VecSection(8, {Enc().bytes({0x01, 0x00}).u32(0).u32(0)})}), "func index 0 out of bounds");
  ExpectMalformed(Component({VecSection(8, {Enc().u8(0x3e)})}), "invalid canonical function opcode");
}

TEST(ComponentDecode, ImportsExportsAndNames) {
  auto f = Ok(Component({VecSection(7, {FuncU32ToU32()}),
                         VecSection(10, {ImportFunc("a", 0), ImportFunc("a-b", 0), ImportFunc("ns:pkg/iface@1.2.3", 0)}),
                         VecSection(11, {ExportFunc("b", 0), ExportFunc("c", 1)})}));
  ASSERT_TRUE(f);
  ASSERT_EQ(f->root().imports.size(), 3u);
  EXPECT_EQ(f->root().imports[2].desc.name, "ns:pkg/iface@1.2.3");
  ASSERT_EQ(f->root().type->exports.size(), 2u);
  // Exports add to the index space: func 3 is export b (alias of func 0).
  Ok(Component({VecSection(7, {FuncU32ToU32()}), VecSection(10, {ImportFunc("a", 0)}),
                VecSection(11, {ExportFunc("b", 0), ExportFunc("c", 1)})}));
  ExpectInvalid(Component({VecSection(7, {FuncU32ToU32()}), VecSection(10, {ImportFunc("a", 0), ImportFunc("A", 0)})}),
                "conflicts with a previous import");
  ExpectInvalid(Component({VecSection(7, {FuncU32ToU32()}), VecSection(10, {ImportFunc("a", 0)}),
                           VecSection(11, {ExportFunc("x", 0), ExportFunc("X", 0)})}),
                "conflicts with a previous export");
  ExpectInvalid(Component({VecSection(7, {FuncU32ToU32()}), VecSection(10, {ImportFunc("not_kebab", 0)})}), "invalid name");
  ExpectInvalid(Component({VecSection(7, {FuncU32ToU32()}), VecSection(10, {ImportFunc("ns:pkg/i@1.x", 0)})}),
                "invalid version");
  ExpectInvalid(Component({VecSection(7, {FuncU32ToU32()}), VecSection(10, {ImportFunc("a", 1)})}), "out of bounds");
  ExpectInvalid(Component({VecSection(7, {FuncU32ToU32()}), VecSection(10, {Enc().ename("a").u8(0x05).u32(0)})}),
                "is not a instance type");
  ExpectInvalid(Component({VecSection(11, {ExportFunc("a", 0)})}), "func index 0 out of bounds");
  ExpectInvalid(Component({VecSection(10, {Enc().ename("v").bytes({0x02, 0x01, kU32})})}), "unsupported: value");
}

TEST(ComponentDecode, ResourceMethodNames) {
  // instance type: (export "r" (type (sub resource))) (type (borrow 0)) (type (own 0))
  //   (type (func (param "self" 1))) (export "[method]r.m" (func (type 3)))
  //   (type (func (result 2))) (export "[constructor]r" (func (type 4)))
  auto inst = [](bool method_ok, bool ctor_ok, const char* method_name) {
    Enc it = Enc().u8(0x42).u32(7);
    it.u8(0x04).ename("r").bytes({0x03, 0x01});
    it.u8(0x01).bytes({0x68, 0x00});
    it.u8(0x01).bytes({0x69, 0x00});
    it.u8(0x01).u8(0x40).u32(1).name(method_ok ? "self" : "this").u8(1).bytes({0x01, 0x00});
    it.u8(0x04).ename(method_name).u8(0x01).u32(3);
    it.u8(0x01).u8(0x40).u32(0).u8(0x00).u8(ctor_ok ? 2 : kU32);
    it.u8(0x04).ename("[constructor]r").u8(0x01).u32(4);
    return Component({VecSection(7, {it}), VecSection(10, {Enc().ename("ns:p/i").u8(0x05).u32(0)})});
  };
  auto f = Ok(inst(true, true, "[method]r.m"));
  ASSERT_TRUE(f);
  std::string wit = ComponentToWit(*f, true);
  EXPECT_NE(wit.find("import ns:p/i;"), std::string::npos) << wit;
  EXPECT_NE(wit.find("resource r {\n    constructor();\n    m: func();\n  }"), std::string::npos) << wit;
  ExpectInvalid(inst(false, true, "[method]r.m"), "must take `self: borrow<r>` first");
  ExpectInvalid(inst(true, false, "[method]r.m"), "must return own<r>");
  ExpectInvalid(inst(true, true, "[method]q.m"), "not a preceding resource export");
}

TEST(ComponentDecode, AliasesAndInstances) {
  // type 0: func; type 1: instance { export "f" (func (type 0)) } imported as i;
  // alias export i "f" -> func 0; inline instance exporting it; alias outer type.
  Enc it = Enc().u8(0x42).u32(2).u8(0x01).raw(FuncU32ToU32()).u8(0x04).ename("f").u8(0x01).u32(0);
  Enc alias_f = Enc().u8(0x01).u8(0x00).u32(0).name("f");
  Enc inline_inst = Enc().u8(0x01).u32(1).ename("g").u8(0x01).u32(0);
  auto f = Ok(Component({VecSection(7, {it}), VecSection(10, {Enc().ename("i").u8(0x05).u32(0)}),
                         VecSection(6, {alias_f}), VecSection(5, {inline_inst}),
                         VecSection(11, {Enc().ename("out").u8(0x05).u32(1).u8(0x00)})}));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->root().aliases[0].kind, AliasDef::Kind::kExport);
  EXPECT_EQ(f->root().instances[0].exports[0].name, "g");
  EXPECT_EQ(TypeToString(f->root().exports[0].type->exports[0].type), "func(x: u32) -> u32");
  EXPECT_EQ(TypeToString(f->root().aliases[0].type), "func(x: u32) -> u32");
  ASSERT_NE(f->root().instances[0].type, nullptr);
  EXPECT_EQ(f->root().instances[0].type->exports[0].name, "g");
  ExpectInvalid(Component({VecSection(7, {it}), VecSection(10, {Enc().ename("i").u8(0x05).u32(0)}),
                           VecSection(6, {Enc().u8(0x01).u8(0x00).u32(0).name("nope")})}),
                "has no export `nope`");
  ExpectInvalid(Component({VecSection(7, {it}), VecSection(10, {Enc().ename("i").u8(0x05).u32(0)}),
                           VecSection(6, {Enc().u8(0x03).u8(0x00).u32(0).name("f")})}),
                "is a func, not a type");
  ExpectInvalid(Component({VecSection(6, {alias_f})}), "instance index 0 out of bounds");
  ExpectInvalid(Component({VecSection(6, {CoreAliasFunc(0, "f")})}), "core instance index 0 out of bounds");
  ExpectInvalid(Component({VecSection(6, {Enc().u8(0x03).u8(0x02).u32(1).u32(0)})}), "outer alias count 1 out of bounds");
  ExpectMalformed(Component({VecSection(6, {Enc().u8(0x03).u8(0x07)})}), "invalid alias kind");
}

TEST(ComponentDecode, NestedComponentsAndInstantiation) {
  // Inner component: imports "x": func(x: u32) -> u32 and re-exports it as "y".
  Bytes inner = Component({VecSection(7, {FuncU32ToU32()}), VecSection(10, {ImportFunc("x", 0)}),
                           VecSection(11, {ExportFunc("y", 0)})});
  Enc inst = Enc().u8(0x00).u32(0).u32(1).name("x").u8(0x01).u32(0);
  Enc alias_y = Enc().u8(0x01).u8(0x00).u32(0).name("y");
  auto f = Ok(Component({VecSection(7, {FuncU32ToU32()}), VecSection(10, {ImportFunc("f", 0)}), Section(4, inner),
                         VecSection(5, {inst}), VecSection(6, {alias_y}), VecSection(11, {ExportFunc("g", 1)})}));
  ASSERT_TRUE(f);
  ASSERT_EQ(f->components.size(), 2u);
  EXPECT_EQ(f->components[1]->parent, 0u);
  EXPECT_EQ(f->root().components[0], 1u);
  EXPECT_EQ(f->components[1]->type->imports[0].name, "x");
  // Missing argument, and an argument of the wrong type.
  ExpectInvalid(Component({Section(4, inner), VecSection(5, {Enc().u8(0x00).u32(0).u32(0)})}),
                "missing instantiation argument `x`");
  ExpectInvalid(Component({VecSection(7, {FuncVoid()}), VecSection(10, {ImportFunc("f", 0)}), Section(4, inner),
                           VecSection(5, {inst})}),
                "does not match the import");
  // Outer alias of a type from inside the nested component, and an outer alias that would
  // carry a resource across the component boundary.
  Bytes uses_outer = Component({VecSection(6, {Enc().u8(0x03).u8(0x02).u32(1).u32(0)}), VecSection(10, {ImportFunc("x", 0)})});
  Ok(Component({VecSection(7, {FuncU32ToU32()}), Section(4, uses_outer)}));
  ExpectInvalid(Component({VecSection(7, {Enc().bytes({0x3f, kI32, 0x00})}), Section(4, uses_outer)}),
                "crosses a component boundary");
}

TEST(ComponentDecode, NestingDepthIsBounded) {
  Bytes c = Preamble();
  for (int i = 0; i < 40; ++i) c = Component({Section(4, c)});
  ExpectInvalid(c, "nested deeper than");
  Bytes t = Enc().u8(0x42).u32(0).b;
  for (int i = 0; i < 40; ++i) t = Enc().u8(0x42).u32(1).u8(0x01).raw(t).b;
  Enc sec;
  sec.u32(1).raw(t);
  ExpectInvalid(Component({Section(7, sec.b)}), "nested deeper than");
}

TEST(ComponentDecode, StartIsRefusedWithValues) {
  Bytes base = Component({VecSection(7, {FuncVoid(), FuncU32ToU32()}), VecSection(10, {ImportFunc("f", 0), ImportFunc("g", 1)})});
  Bytes ok = base;
  Bytes st = Section(9, Enc().u32(0).u32(0).u32(0).b);
  ok.insert(ok.end(), st.begin(), st.end());
  auto f = Ok(ok);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->root().starts.size(), 1u);
  Bytes bad = base;
  Bytes st2 = Section(9, Enc().u32(1).u32(1).u32(0).u32(1).b);
  bad.insert(bad.end(), st2.begin(), st2.end());
  ExpectInvalid(bad, "unsupported: start functions with values");
}

// A component using most sections, for the truncation test.
Bytes KitchenSink() {
  Bytes inner = Component({VecSection(7, {FuncU32ToU32()}), VecSection(10, {ImportFunc("x", 0)}),
                           VecSection(11, {ExportFunc("y", 0)})});
  return Component({Section(0, Enc().name("custom").bytes({1, 2, 3}).b), Section(1, CoreModule({kI32}, {kI32}, 1, true)),
                    VecSection(2, {Instantiate(0)}),
                    VecSection(6, {CoreAliasFunc(0, "f0"), Enc().bytes({0x00, 0x02, 0x01}).u32(0).name("mem")}),
                    VecSection(7, {FuncU32ToU32(), Enc().u8(0x72).u32(1).name("a").u8(kString),
                                   Enc().bytes({0x3f, kI32, 0x00}), Enc().u8(0x69).u32(2)}),
                    VecSection(8, {Lift(0, 0), Enc().u8(0x02).u32(2)}), Section(4, inner),
                    VecSection(5, {Enc().u8(0x00).u32(0).u32(1).name("x").u8(0x01).u32(0)}),
                    VecSection(6, {Enc().u8(0x01).u8(0x00).u32(0).name("y")}),
                    VecSection(11, {ExportFunc("g", 1), Enc().ename("r").u8(0x03).u32(2).u8(0x00)})});
}

// Offsets where a top-level section ends: a prefix cut there is a well-formed component with
// fewer sections (it may validate), so only the other prefixes must fail.
std::vector<size_t> SectionEnds(const Bytes& b) {
  std::vector<size_t> ends{8};
  size_t pos = 8;
  while (pos < b.size()) {
    ++pos;  // id
    uint32_t size = 0;
    for (int shift = 0;; shift += 7) {
      uint8_t byte = b[pos++];
      size |= static_cast<uint32_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    pos += size;
    ends.push_back(pos);
  }
  return ends;
}

TEST(ComponentDecode, TruncationAtEveryOffsetIsAnError) {
  Bytes full = KitchenSink();
  ASSERT_TRUE(Ok(full));
  std::vector<size_t> ends = SectionEnds(full);
  for (size_t n = 0; n < full.size(); ++n) {
    Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = DecodeComponent(cut);
    if (std::find(ends.begin(), ends.end(), n) != ends.end()) continue;  // decoded or not: no crash
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
  }
}

TEST(ComponentDecode, JcoHelloComponent) {
  Bytes b = ReadFile(TestData("hello.cm.wasm"));
  ASSERT_GT(b.size(), 1000u);
  auto f = Ok(b);
  ASSERT_TRUE(f);
  const ComponentDef& root = f->root();
  ASSERT_EQ(root.imports.size(), 15u);
  EXPECT_EQ(root.imports[0].desc.name, "wasi:cli/environment@0.2.12");
  EXPECT_EQ(root.imports[14].desc.name, "wasi:filesystem/preopens@0.2.12");
  for (const ImportDef& i : root.imports) EXPECT_EQ(i.desc.sort, ExternSort::kInstance) << i.desc.name;
  ASSERT_EQ(root.exports.size(), 1u);
  EXPECT_EQ(root.exports[0].name, "wasi:cli/run@0.2.12");
  TypeRef run = root.exports[0].type;
  ASSERT_EQ(run->kind, TypeKind::kInstance);
  ASSERT_EQ(run->exports.size(), 1u);
  EXPECT_EQ(run->exports[0].name, "run");
  EXPECT_EQ(TypeToString(run->exports[0].type), "func() -> result");
  EXPECT_GE(f->modules.size(), 2u);
  // The component-name section (names as `jco print` shows them).
  ASSERT_FALSE(root.names.entries.empty());
  EXPECT_EQ(root.names.entries[0].item.sort, Sort::kCore);
  EXPECT_EQ(root.names.entries[0].item.core_sort, CoreSort::kFunc);
  EXPECT_EQ(root.names.entries[0].item.index, 0u);
  EXPECT_EQ(root.names.entries[0].name, "adapt-wasi_snapshot_preview1-args_get");
  // The streams interface's resource methods resolve to the imported resources.
  const ExternDesc& streams = root.imports[3].desc;
  EXPECT_EQ(streams.name, "wasi:io/streams@0.2.12");
  bool found = false;
  for (const ExternDesc& e : streams.type->exports) {
    if (e.name == "[method]output-stream.blocking-write-and-flush") {
      found = true;
      EXPECT_EQ(TypeToString(e.type), "func(self: borrow<output-stream>, contents: list<u8>) -> result<_, stream-error>");
    }
  }
  EXPECT_TRUE(found);
  // Truncations of the real component (every 61st offset: each decode is a full pass).
  std::vector<size_t> ends = SectionEnds(b);
  for (size_t n = 0; n < b.size(); n += 61) {
    Bytes cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
    bool ok = DecodeComponent(cut).ok();
    if (std::find(ends.begin(), ends.end(), n) == ends.end()) {
      EXPECT_FALSE(ok) << n;
    }
  }
}

TEST(ComponentDecode, JcoHelloWit) {
  // Checked against `jco wit hello.cm.wasm` (jco 1.35.0): same lines.
  auto f = Ok(ReadFile(TestData("hello.cm.wasm")));
  ASSERT_TRUE(f);
  std::string wit = ComponentToWit(*f, false);
  EXPECT_EQ(wit,
            "package root:component;\n\nworld root {\n"
            "  import wasi:cli/environment@0.2.12;\n  import wasi:cli/exit@0.2.12;\n"
            "  import wasi:io/error@0.2.12;\n  import wasi:io/streams@0.2.12;\n"
            "  import wasi:cli/stdin@0.2.12;\n  import wasi:cli/stdout@0.2.12;\n"
            "  import wasi:cli/stderr@0.2.12;\n  import wasi:cli/terminal-input@0.2.12;\n"
            "  import wasi:cli/terminal-output@0.2.12;\n  import wasi:cli/terminal-stdin@0.2.12;\n"
            "  import wasi:cli/terminal-stdout@0.2.12;\n  import wasi:cli/terminal-stderr@0.2.12;\n"
            "  import wasi:clocks/wall-clock@0.2.12;\n  import wasi:filesystem/types@0.2.12;\n"
            "  import wasi:filesystem/preopens@0.2.12;\n\n  export wasi:cli/run@0.2.12;\n}\n");
  std::string verbose = ComponentToWit(*f, true);
  EXPECT_NE(verbose.find("interface wasi:io/streams@0.2.12 {\n  use wasi:io/error@0.2.12.{error};\n"), std::string::npos)
      << verbose;
  EXPECT_NE(verbose.find("  use wasi:clocks/wall-clock@0.2.12.{datetime};\n"), std::string::npos) << verbose;
}

// Hand-written component text (testdata/*.wat), converted by `jco parse` (jco 1.35.0).
TEST(ComponentDecode, WatNestedResources) {
  auto f = Ok(ReadFile(TestData("nested_resources.wasm")));
  ASSERT_TRUE(f);
  const ComponentDef& root = f->root();
  // Instantiating $inner with r := the outer r makes g's type use the outer resource, so the
  // export g2 passes the "resources must be imported or exported" rule.
  EXPECT_EQ(root.type->imports[0].type, root.exports[0].type->fields[0].type->elem);
  EXPECT_EQ(TypeToString(root.exports[0].type), "func(x: r) -> u32");
  // Each instantiation of $definer has its own resource type.
  ASSERT_EQ(root.exports.size(), 3u);
  EXPECT_EQ(root.exports[1].type->kind, TypeKind::kResource);
  EXPECT_NE(root.exports[1].type, root.exports[2].type);
  EXPECT_FALSE(TypeEquals(root.exports[1].type, root.exports[2].type));
  ASSERT_EQ(f->components.size(), 3u);
  const ComponentDef& definer = *f->components[2];
  ASSERT_EQ(definer.canons.size(), 1u);
  EXPECT_EQ(definer.canons[0].kind, CanonDef::Kind::kResourceNew);
  EXPECT_EQ(definer.canons[0].type->resource_dtor, 0);
  EXPECT_EQ(definer.imports[0].desc.sort, ExternSort::kCoreModule);
  // The same with r := s: f's parameter no longer matches.
  ExpectInvalid(ReadFile(TestData("bad_resource_arg.wasm")), "instantiation argument `f` does not match the import");
  ExpectInvalid(ReadFile(TestData("borrow_export.wasm")), "exported type `rec` contains a borrow handle");
  ExpectInvalid(ReadFile(TestData("hidden_resource.wasm")),
                "export refers to a resource type that is neither imported nor exported before it");
}

// Optional timing of a big component: WEFT_COMPONENT_BENCH=path/to/component.wasm.
TEST(ComponentDecode, BenchFromEnvironment) {
  const char* path = std::getenv("WEFT_COMPONENT_BENCH");
  if (!path) GTEST_SKIP() << "set WEFT_COMPONENT_BENCH to time decoding a component";
  Bytes b = ReadFile(path);
  double best = 1e9;
  for (int i = 0; i < 20; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto f = DecodeComponent(b);
    auto t1 = std::chrono::steady_clock::now();
    ASSERT_TRUE(f.ok()) << f.error().message();
    best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::printf("decoded %zu bytes in %.3f ms (best of 20)\n", b.size(), best);
}

TEST(ComponentNames, ParseAndStronglyUnique) {
  ParsedName p;
  std::string why;
  ASSERT_TRUE(ParseExternName("wasi:io/streams@0.2.12", &p, &why));
  EXPECT_EQ(p.kind, NameKind::kInterface);
  EXPECT_EQ(p.package, "wasi:io");
  EXPECT_EQ(p.interface, "streams");
  EXPECT_EQ(p.version, "0.2.12");
  ASSERT_TRUE(ParseExternName("[method]output-stream.check-write", &p, &why));
  EXPECT_EQ(p.kind, NameKind::kMethod);
  EXPECT_EQ(p.resource, "output-stream");
  EXPECT_EQ(p.label, "check-write");
  EXPECT_TRUE(ParseExternName("[static]r.make", &p, &why));
  EXPECT_TRUE(ParseExternName("[constructor]r", &p, &why));
  EXPECT_TRUE(ParseExternName("get-IPv4-ADDR", &p, &why) == false);  // mixed-case fragment
  EXPECT_TRUE(ParseExternName("get-ADDR", &p, &why));
  EXPECT_TRUE(ParseExternName("a:b/c@1.0.0-rc.1+build.5", &p, &why));
  EXPECT_TRUE(ParseExternName("a:b/c@0.2", &p, &why));
  EXPECT_FALSE(ParseExternName("a:b/c@01.0.0", &p, &why));
  EXPECT_FALSE(ParseExternName("a/c", &p, &why));
  EXPECT_FALSE(ParseExternName("", &p, &why));
  EXPECT_FALSE(ParseExternName("a--b", &p, &why));
  EXPECT_FALSE(ParseExternName("[method]r", &p, &why));
  EXPECT_FALSE(ParseExternName("1abc", &p, &why));
  // The examples of Explainer.md's strongly-unique section.
  EXPECT_EQ(StronglyUniqueKey("FOO"), StronglyUniqueKey("foo"));
  EXPECT_EQ(StronglyUniqueKey("[method]foo.foo"), "foo");
  EXPECT_EQ(StronglyUniqueKey("[static]foo.bar"), StronglyUniqueKey("[method]foo.bar"));
  EXPECT_NE(StronglyUniqueKey("[constructor]foo"), StronglyUniqueKey("foo"));
  EXPECT_NE(StronglyUniqueKey("foo-bar"), StronglyUniqueKey("foo"));
  std::set<std::string> keys;
  for (const char* n : {"foo", "foo-bar", "[constructor]foo", "[method]foo.bar", "[static]foo.baz", "foo:bar/baz"}) {
    EXPECT_TRUE(ParseExternName(n, &p, &why)) << n;
    EXPECT_TRUE(keys.insert(StronglyUniqueKey(n)).second) << n;
  }
  for (const char* n : {"foo", "FOO", "foo-BAR", "[constructor]FOO", "[method]foo.BAR", "[static]foo.bar",
                        "[method]foo.baz", "[method]foo.foo", "[static]foo-BAR.FOO-bar", "foo:bar/BAZ"}) {
    EXPECT_EQ(keys.count(StronglyUniqueKey(n)), 1u) << n;
  }
}

}  // namespace
}  // namespace weft::component
