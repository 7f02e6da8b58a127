// libFuzzer target for the value code: the input is both WAVE text and guest data.
// 1. ParseWave against a fixed type that holds every parseable kind; when it parses, the
//    value must pass CheckVal and print (ValToWave) to text that parses back to the same value.
// 2. The input as guest memory (and its first bytes as flat core values) through the
//    canonical ABI's lifting paths in all three string encodings; every lift ends in a value
//    or a kTrap, and every lifted value passes CheckVal and lowers/lifts back unchanged.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "component/abi.h"
#include "weft/assert.h"
#include "weft/component_types.h"

namespace {

using namespace weft;
using namespace weft::component;

class FuzzEnv : public abi::Env {
 public:
  explicit FuzzEnv(std::vector<uint8_t> m) : mem(std::move(m)), bump(static_cast<uint32_t>(mem.size())) {}
  std::span<uint8_t> Memory() override { return mem; }
  Expected<uint32_t> Realloc(uint32_t old_ptr, uint32_t old_size, uint32_t align, uint32_t new_size) override {
    uint32_t p = (bump + align - 1) / align * align;
    if (uint64_t{p} + new_size > (1u << 24)) return Error::Make(ErrorCode::kTrap, "fuzz memory limit");
    bump = p + new_size;
    if (bump > mem.size()) mem.resize(bump);
    if (old_ptr != 0) std::memmove(mem.data() + p, mem.data() + old_ptr, std::min(old_size, new_size));
    return p;
  }
  Expected<ResourceAny> LiftOwn(TypeRef, uint32_t h) override { return ResourceAny{{this}, h}; }
  Expected<ResourceAny> LiftBorrow(TypeRef, uint32_t h) override { return ResourceAny{{this}, h}; }
  Expected<uint32_t> LowerOwn(TypeRef, const ResourceAny& r) override { return r.rep; }
  Expected<uint32_t> LowerBorrow(TypeRef, const ResourceAny& r) override { return r.rep; }
  std::vector<uint8_t> mem;
  uint32_t bump;
};

struct Types {
  TypeArena arena;
  TypeRef P(TypeKind k) { return PrimitiveType(k); }
  Type* N(TypeKind k) { return arena.New(k); }
  TypeRef wave_type;  // everything WAVE can write
  TypeRef abi_type;   // everything the ABI can lift, resources included
  TypeRef func;

  Types() {
    Type* rec = N(TypeKind::kRecord);
    Type* var = N(TypeKind::kVariant);
    Type* en = N(TypeKind::kEnum);
    en->labels = {"ok", "not-found", "a"};
    Type* fl = N(TypeKind::kFlags);
    for (int i = 0; i < 20; ++i) fl->labels.push_back("f" + std::to_string(i));
    Type* opt = N(TypeKind::kOption);
    opt->elem = P(TypeKind::kU8);
    Type* optopt = N(TypeKind::kOption);
    optopt->elem = opt;
    Type* res = N(TypeKind::kResult);
    res->elem = P(TypeKind::kString);
    res->err = en;
    Type* tup = N(TypeKind::kTuple);
    tup->fields = {{"", P(TypeKind::kF32)}, {"", P(TypeKind::kF64)}, {"", P(TypeKind::kChar)}};
    Type* list = N(TypeKind::kList);
    list->elem = var;
    var->fields = {{"none-case", nullptr}, {"s", P(TypeKind::kString)}, {"t", tup}, {"n", P(TypeKind::kS64)}};
    rec->fields = {{"b", P(TypeKind::kBool)}, {"i", P(TypeKind::kS8)},      {"u", P(TypeKind::kU16)},
                   {"e", en},                 {"f", fl},                    {"o", opt},
                   {"oo", optopt},            {"r", res},                   {"l", list},
                   {"w", P(TypeKind::kU32)},  {"z", P(TypeKind::kU64)}};
    wave_type = rec;
    Type* resource = N(TypeKind::kResource);
    Type* own = N(TypeKind::kOwn);
    own->elem = resource;
    Type* borrow = N(TypeKind::kBorrow);
    borrow->elem = resource;
    Type* top = N(TypeKind::kTuple);
    top->fields = {{"", rec}, {"", own}, {"", borrow}};
    abi_type = top;
    Type* f = N(TypeKind::kFunc);
    f->fields = {{"a", var}, {"b", res}, {"c", P(TypeKind::kString)}};
    f->result = top;
    func = f;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Types* ty = new Types();
  // 1. WAVE.
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto v = ParseWave(text, ty->wave_type);
  if (v.ok()) {
    WEFT_ASSERT(CheckVal(*v, ty->wave_type).ok());
    std::string printed = ValToWave(*v, ty->wave_type);
    auto back = ParseWave(printed, ty->wave_type);
    WEFT_ASSERT(back.ok());
    WEFT_ASSERT(*back == *v);
  }
  // 2. The canonical ABI over the same bytes.
  for (auto enc : {abi::StringEncoding::kUtf8, abi::StringEncoding::kUtf16, abi::StringEncoding::kLatin1Utf16}) {
    abi::Options opts{enc};
    FuzzEnv env(std::vector<uint8_t>(data, data + size));
    uint32_t ptr = size >= 4 ? (data[0] | (data[1] << 8)) % static_cast<uint32_t>(size) : 0;
    auto one = abi::Load(env, opts, ty->abi_type, ptr);
    WEFT_ASSERT(one.ok() || one.error().code() == ErrorCode::kTrap);
    if (one.ok()) {
      WEFT_ASSERT(CheckVal(*one, ty->abi_type).ok());
      uint32_t at = (env.bump + 7) / 8 * 8;
      env.mem.resize(at + abi::ElemSize(ty->abi_type));
      env.bump = static_cast<uint32_t>(env.mem.size());
      if (abi::Store(env, opts, ty->abi_type, *one, at).ok()) {
        auto again = abi::Load(env, opts, ty->abi_type, at);
        WEFT_ASSERT(again.ok() && *again == *one);
      }
    }
    std::vector<uint64_t> flat;
    for (size_t i = 0; i + 8 <= size && flat.size() < 16; i += 8) {
      uint64_t x;
      std::memcpy(&x, data + i, 8);
      flat.push_back(x % 4 == 0 ? x : x % 256);  // mostly small, so pointers land in memory
    }
    flat.resize(16, 0);
    auto params = abi::LiftParams(env, opts, ty->func, flat);
    WEFT_ASSERT(params.ok() || params.error().code() == ErrorCode::kTrap);
    auto results = abi::LiftResults(env, opts, ty->func, std::span<const uint64_t>(flat.data(), 1));
    WEFT_ASSERT(results.ok() || results.error().code() == ErrorCode::kTrap);
  }
  return 0;
}
