// The canonical ABI (CanonicalABI.md; definitions.py is the executable reference): layout
// (alignment, size), flattening, and lifting/lowering between dynamic component values (Val)
// and core values plus linear memory, for wasm32 (32-bit pointers) memories.
// It knows nothing about stores or instances: what it needs from the guest (its memory, its
// realloc, its resource handle table) comes through the abstract Env, which the api layer
// implements. Flat core values are uint64_t slots: i32 zero-extended, i64 as is, f32 bits in
// the low 32 bits, f64 bits. Every violation the spec traps on (misaligned or out-of-bounds
// pointer, invalid char or discriminant, bad utf-8/utf-16, bad handle) is an Error with code
// kTrap and a message naming the rule.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "component/def.h"
#include "weft/component_types.h"
#include "weft/error.h"

namespace weft::component::abi {

constexpr uint32_t kMaxFlatParams = 16;
constexpr uint32_t kMaxFlatResults = 1;

using StringEncoding = CanonDef::StringEncoding;

/// What lifting/lowering needs from the guest side of a call. Implemented by the api layer
/// per call (cheap to construct).
class Env {
 public:
  virtual ~Env() = default;
  /// The guest's linear memory as it is now (it may grow inside Realloc: call again after).
  /// Empty if the canonical options name no memory.
  virtual std::span<uint8_t> Memory() = 0;
  /// Calls the guest's realloc(old_ptr, old_size, align, new_size); error (kTrap) if the
  /// options name no realloc or the guest traps.
  virtual Expected<uint32_t> Realloc(uint32_t old_ptr, uint32_t old_size, uint32_t align,
                                     uint32_t new_size) = 0;
  /// Handles in the guest instance's resource table. `resource` is the static kResource type
  /// named by the own/borrow type (the Env maps it to its run-time ResourceType).
  /// LiftOwn removes the handle (trap if it is lent or of another type); LiftBorrow looks it
  /// up; LowerOwn inserts a new own handle; LowerBorrow inserts a borrow handle valid until
  /// the current call returns (or, for a resource defined by the guest itself, returns rep).
  virtual Expected<ResourceAny> LiftOwn(TypeRef resource, uint32_t handle) = 0;
  virtual Expected<ResourceAny> LiftBorrow(TypeRef resource, uint32_t handle) = 0;
  virtual Expected<uint32_t> LowerOwn(TypeRef resource, const ResourceAny& r) = 0;
  virtual Expected<uint32_t> LowerBorrow(TypeRef resource, const ResourceAny& r) = 0;
};

struct Options {
  StringEncoding encoding = StringEncoding::kUtf8;
};

// --- Layout (CanonicalABI.md "Alignment", "Element Size"); `t` must be a value type.
uint32_t Alignment(TypeRef t);
uint32_t ElemSize(TypeRef t);

// --- Flattening.
void FlattenType(TypeRef t, std::vector<CoreValType>& out);
/// The core signature of a component function type. For canon lift (`lower == false`):
/// params beyond kMaxFlatParams become one i32 pointer (params_indirect), results beyond
/// kMaxFlatResults become an i32 return pointer (results_indirect). For canon lower
/// (`lower == true`): likewise for params, and indirect results become an extra trailing
/// i32 parameter (the caller-provided return area) with no core results.
struct FlatFuncType {
  std::vector<CoreValType> params;
  std::vector<CoreValType> results;
  bool params_indirect = false;
  bool results_indirect = false;
};
FlatFuncType FlattenFuncType(TypeRef func, bool lower);

// --- Single values in memory.
Expected<Val> Load(Env& env, const Options& opts, TypeRef t, uint32_t ptr);
Error Store(Env& env, const Options& opts, TypeRef t, const Val& v, uint32_t ptr);

// --- Whole calls. `func` is a kFunc type; `args`/`results` follow its params/result
// (results has 0 or 1 element). Values are assumed well-formed for their types (CheckVal).

/// canon lift, entry: host (or another component) calls the guest. Lowers `args` into
/// `flat` (allocating the spilled parameter area with Realloc when params_indirect).
Error LowerParams(Env& env, const Options& opts, TypeRef func, std::span<const Val> args,
                  std::vector<uint64_t>& flat);
/// canon lift, exit: lifts the guest's core results (reading the return area when
/// results_indirect).
Expected<std::vector<Val>> LiftResults(Env& env, const Options& opts, TypeRef func,
                                       std::span<const uint64_t> flat);

/// canon lower, entry: the guest called an import; lifts its core arguments (reading the
/// spilled area when params_indirect; the trailing return-area pointer is not a parameter).
Expected<std::vector<Val>> LiftParams(Env& env, const Options& opts, TypeRef func,
                                      std::span<const uint64_t> flat_args);
/// canon lower, exit: lowers the callee's results back to the guest: into `flat_results`
/// (0 or 1 slot), or, when results_indirect, stores them at the return-area pointer that
/// is the last element of `flat_args`.
Error LowerResults(Env& env, const Options& opts, TypeRef func, std::span<const Val> results,
                   std::span<const uint64_t> flat_args, std::vector<uint64_t>& flat_results);

/// LiftResults/LiftParams writing into a caller-kept vector (resized to the values; the Vals
/// already in it are overwritten, keeping their string buffers), so that a caller reusing it
/// across calls allocates less. On error its contents are unspecified.
Error LiftResultsInto(Env& env, const Options& opts, TypeRef func, std::span<const uint64_t> flat,
                      std::vector<Val>& out);
Error LiftParamsInto(Env& env, const Options& opts, TypeRef func,
                     std::span<const uint64_t> flat_args, std::vector<Val>& out);

// --- Helpers shared with the value code (val.cc, wave.cc).

/// Length of the longest valid UTF-8 prefix of [p, p+n) (n when all of it is valid). Valid
/// means what Python's utf-8 codec accepts: no overlong forms, surrogates or values above
/// U+10FFFF.
size_t ValidUtf8Prefix(const uint8_t* p, size_t n);

}  // namespace weft::component::abi
