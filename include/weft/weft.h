// Weft's public embedding API: compile, link, instantiate and call WebAssembly modules.
//
// Vocabulary follows wasmtime: an Engine (shared, thread-safe) compiles Modules (immutable,
// shareable); a Store<T> (one thread at a time) owns instances and their memories, tables,
// globals and functions, plus embedder data T; a Linker<T> names host functions and other
// definitions and instantiates modules against them. Handles (Func, Memory, Table, Global,
// Instance) are cheap copies that stay valid as long as their store lives.
//
// Errors are values (weft::Error / weft::Expected). A guest trap comes back as an Error with
// code ErrorCode::kTrap, the specification's message and a backtrace; a WASI exit as kExit.
//
// Async (DESIGN.md decision 3): Func::CallAsync runs the guest on a fiber. A host function may
// call Caller::Suspend(), which returns control to whoever started or last resumed the call;
// AsyncCall::Resume() continues it. Epoch deadlines may trap or yield the same way.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "weft/error.h"

namespace weft {

namespace runtime {
struct Engine;
struct Store;
struct Instance;
struct FuncInst;
struct MemoryInst;
struct TableInst;
struct GlobalInst;
struct CompiledModule;
struct HostCallContext;
}  // namespace runtime

class Engine;
class Module;
class StoreBase;
template <typename T>
class Store;
class Func;
class Val;
class AsyncCall;

/// A trap is an Error with code ErrorCode::kTrap: the specification's message plus a backtrace.
using Trap = Error;
inline bool IsTrap(const Error& e) { return e.code() == ErrorCode::kTrap; }

// ---------------------------------------------------------------------------------------------
// Types and values

enum class ValKind : uint8_t { kI32, kI64, kF32, kF64, kV128, kFuncRef, kExternRef };
std::string_view ValKindName(ValKind k);  ///< "i32", ..., "funcref", "externref"

struct V128 {
  uint64_t lo = 0;
  uint64_t hi = 0;
  bool operator==(const V128&) const = default;
};

/// An opaque host reference (externref). 0 is null.
struct ExternRef {
  uintptr_t value = 0;
  bool operator==(const ExternRef&) const = default;
};

struct FuncType {
  std::vector<ValKind> params;
  std::vector<ValKind> results;
  bool operator==(const FuncType&) const = default;
  std::string ToString() const;  ///< "(i32, i32) -> (i64)"
};

struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
};
struct TableType {
  ValKind elem = ValKind::kFuncRef;
  Limits limits;
};
struct MemoryType {
  Limits limits;  ///< In 64 KiB pages.
};
struct GlobalType {
  ValKind type = ValKind::kI32;
  bool mut = false;
};

enum class ExternKind : uint8_t { kFunc, kTable, kMemory, kGlobal };

/// The type of an import or export.
struct ExternType {
  ExternKind kind = ExternKind::kFunc;
  FuncType func;
  TableType table;
  MemoryType memory;
  GlobalType global;
  std::string ToString() const;
};

struct ImportType {
  std::string module;
  std::string name;
  ExternType type;
};
struct ExportType {
  std::string name;
  ExternType type;
};

/// A WebAssembly function handle (funcref). Null when default-constructed.
class Func {
 public:
  Func() = default;
  explicit Func(runtime::FuncInst* f) : f_(f) {}
  bool is_null() const { return f_ == nullptr; }
  FuncType type() const;

  /// Calls synchronously on the current thread. `args` must match the parameter types and
  /// `results` must have room for the results (their kinds are set). A trap returns an Error
  /// with code kTrap (message + backtrace); proc_exit returns kExit. A host function that
  /// calls Caller::Suspend() during a synchronous call fails the call with an error.
  Error Call(StoreBase& store, std::span<const Val> args, std::span<Val> results) const;
  /// Convenience: allocates the results vector.
  Expected<std::vector<Val>> Call(StoreBase& store, std::span<const Val> args) const;

  /// Starts the call on a fiber; returns after it finishes or first suspends.
  Expected<std::unique_ptr<AsyncCall>> CallAsync(StoreBase& store, std::vector<Val> args) const;

  runtime::FuncInst* raw() const { return f_; }
  bool operator==(const Func&) const = default;

 private:
  runtime::FuncInst* f_ = nullptr;
};

/// A WebAssembly value.
class Val {
 public:
  Val() : Val(I32(0)) {}
  static Val I32(int32_t v) { return Val(ValKind::kI32, static_cast<uint32_t>(v)); }
  static Val I64(int64_t v) { return Val(ValKind::kI64, static_cast<uint64_t>(v)); }
  static Val F32(float v) {
    uint32_t b;
    std::memcpy(&b, &v, 4);
    return Val(ValKind::kF32, b);
  }
  static Val F64(double v) {
    uint64_t b;
    std::memcpy(&b, &v, 8);
    return Val(ValKind::kF64, b);
  }
  static Val F32Bits(uint32_t bits) { return Val(ValKind::kF32, bits); }
  static Val F64Bits(uint64_t bits) { return Val(ValKind::kF64, bits); }
  static Val MakeV128(V128 v) {
    Val r(ValKind::kV128, v.lo);
    r.hi_ = v.hi;
    return r;
  }
  static Val FuncRef(Func f) {
    return Val(ValKind::kFuncRef, reinterpret_cast<uintptr_t>(f.raw()));
  }
  static Val MakeExternRef(ExternRef r) { return Val(ValKind::kExternRef, r.value); }
  static Val Null(ValKind ref_kind) { return Val(ref_kind, 0); }
  /// A zero of `kind` (null for references).
  static Val Zero(ValKind kind) { return Val(kind, 0); }

  ValKind kind() const { return kind_; }
  int32_t i32() const { return static_cast<int32_t>(lo_); }
  int64_t i64() const { return static_cast<int64_t>(lo_); }
  float f32() const {
    float f;
    uint32_t b = static_cast<uint32_t>(lo_);
    std::memcpy(&f, &b, 4);
    return f;
  }
  double f64() const {
    double d;
    std::memcpy(&d, &lo_, 8);
    return d;
  }
  uint32_t f32_bits() const { return static_cast<uint32_t>(lo_); }
  uint64_t f64_bits() const { return lo_; }
  V128 v128() const { return {lo_, hi_}; }
  Func funcref() const { return Func(reinterpret_cast<runtime::FuncInst*>(lo_)); }
  ExternRef externref() const { return {static_cast<uintptr_t>(lo_)}; }
  bool is_null_ref() const { return lo_ == 0; }
  /// Raw slot bits (see runtime/objects.h for the slot convention).
  uint64_t lo_bits() const { return lo_; }
  uint64_t hi_bits() const { return hi_; }
  static Val FromBits(ValKind kind, uint64_t lo, uint64_t hi = 0) {
    Val v(kind, lo);
    v.hi_ = hi;
    return v;
  }
  /// "i32:42", "f64:1.5", "funcref:null", ...
  std::string ToString() const;

 private:
  Val(ValKind k, uint64_t lo) : kind_(k), lo_(lo) {}
  ValKind kind_;
  uint64_t lo_ = 0;
  uint64_t hi_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Engine and Module

/// Engine-wide settings. Fixed once the Engine is created.
struct Config {
  /// Validate every function at load (always) but lower to interpreter code on first call.
  /// false: lower everything at load.
  bool lazy_compile = true;
  /// Count fuel (Store::SetFuel); a store out of fuel traps with "all fuel consumed".
  bool consume_fuel = false;
  /// Check the engine epoch at function entries and loop back-edges (Store deadlines).
  bool epoch_interruption = false;
  /// Maximum guest call depth before "call stack exhausted".
  uint32_t max_call_depth = 10000;
  /// Native stack of each guest fiber.
  uint64_t fiber_stack_bytes = 1u << 20;
};

/// Shared compilation context. Thread-safe; outlives its modules and stores.
class Engine {
 public:
  explicit Engine(Config config = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const Config& config() const { return config_; }
  /// Advances the epoch by one (any thread). Stores whose deadline is reached trap or yield.
  void IncrementEpoch();
  uint64_t epoch() const;
  /// Starts a background thread that increments the epoch every `interval_ms` (idempotent).
  void StartEpochTicker(uint32_t interval_ms);
  void StopEpochTicker();

  runtime::Engine* raw() const { return impl_.get(); }

 private:
  Config config_;
  std::unique_ptr<runtime::Engine> impl_;
  struct Ticker;
  std::unique_ptr<Ticker> ticker_;
};

/// A decoded and validated module. Cheap to copy (shared, immutable); thread-safe.
class Module {
 public:
  /// Decodes and validates `bytes`. Malformed input returns kMalformed, invalid kInvalid,
  /// with the byte offset and (for code) the function index.
  static Expected<Module> Compile(Engine& engine, std::span<const uint8_t> bytes);
  /// Reads and compiles a file.
  static Expected<Module> FromFile(Engine& engine, const std::string& path);
  /// Only decodes and validates (no engine needed).
  static Error Validate(std::span<const uint8_t> bytes);

  std::vector<ImportType> imports() const;
  std::vector<ExportType> exports() const;
  /// The module's name from the name section (may be empty).
  std::string name() const;

  const std::shared_ptr<const runtime::CompiledModule>& raw() const { return impl_; }

 private:
  std::shared_ptr<const runtime::CompiledModule> impl_;
};

// ---------------------------------------------------------------------------------------------
// Store

/// Resource limits enforced by a store.
struct StoreLimits {
  uint64_t max_memory_bytes = uint64_t{1} << 32;  ///< Per linear memory.
  uint64_t max_table_elements = 10'000'000;       ///< Per table.
  uint64_t max_instances = 10'000;
};

enum class DeadlineAction : uint8_t { kTrap, kYield };

/// The untyped part of Store<T>. Not thread-safe: use from one thread at a time.
class StoreBase {
 public:
  explicit StoreBase(Engine& engine);
  virtual ~StoreBase();
  StoreBase(const StoreBase&) = delete;
  StoreBase& operator=(const StoreBase&) = delete;

  Engine& engine() const { return *engine_; }
  void SetLimits(const StoreLimits& limits);

  /// Fuel (requires Config::consume_fuel). Errors if fuel is not enabled.
  Error SetFuel(uint64_t fuel);
  Expected<uint64_t> GetFuel() const;

  /// The store traps or yields once the engine epoch reaches now + `ticks`
  /// (requires Config::epoch_interruption).
  void SetEpochDeadline(uint64_t ticks_from_now);
  /// kTrap: guest code past the deadline traps ("interrupt"). kYield: an async call suspends
  /// (AsyncCall::reason() == kEpochYield) and, when resumed, gets `ticks_after_yield` more.
  void SetDeadlineAction(DeadlineAction action, uint64_t ticks_after_yield = 1);

  runtime::Store* raw() const { return impl_; }
  /// The API layer's per-store bookkeeping (pending host errors, the running async call).
  struct State;
  State* state() const { return state_; }
  /// The StoreBase owning a runtime store.
  static StoreBase* FromRaw(runtime::Store* store);

 protected:
  /// The runtime store and State in one allocation (a store per request is common).
  struct Parts;
  Engine* engine_;
  std::unique_ptr<Parts> parts_;
  runtime::Store* impl_;  ///< in parts_
  State* state_;          ///< in parts_
};

/// A store with embedder data T, reachable from host functions through Caller<T>.
template <typename T>
class Store : public StoreBase {
 public:
  Store(Engine& engine, T data) : StoreBase(engine), data_(std::move(data)) { SetUserData(); }
  explicit Store(Engine& engine) : StoreBase(engine), data_() { SetUserData(); }
  T& data() { return data_; }
  const T& data() const { return data_; }

 private:
  void SetUserData();
  T data_;
};

void SetStoreUserData(runtime::Store* store, void* data);
void* GetStoreUserData(runtime::Store* store);

template <typename T>
void Store<T>::SetUserData() {
  SetStoreUserData(raw(), &data_);
}

// ---------------------------------------------------------------------------------------------
// Instances and their exports

class Memory {
 public:
  Memory() = default;
  explicit Memory(runtime::MemoryInst* m) : m_(m) {}
  bool is_null() const { return m_ == nullptr; }
  /// Base of linear memory; stable across Grow (the maximum is reserved up front).
  uint8_t* data() const;
  uint64_t size_bytes() const;
  uint64_t size_pages() const;
  /// Returns the previous size in pages, or an error if the limit is exceeded.
  Expected<uint64_t> Grow(uint64_t delta_pages) const;
  MemoryType type() const;
  /// Bounds-checked view of [offset, offset + len); an empty optional when out of bounds.
  std::optional<std::span<uint8_t>> Slice(uint64_t offset, uint64_t len) const;
  runtime::MemoryInst* raw() const { return m_; }

 private:
  runtime::MemoryInst* m_ = nullptr;
};

class Table {
 public:
  Table() = default;
  explicit Table(runtime::TableInst* t) : t_(t) {}
  bool is_null() const { return t_ == nullptr; }
  uint64_t size() const;
  std::optional<Val> Get(uint64_t index) const;
  Error Set(uint64_t index, const Val& v) const;
  Expected<uint64_t> Grow(uint64_t delta, const Val& init) const;
  TableType type() const;
  runtime::TableInst* raw() const { return t_; }

 private:
  runtime::TableInst* t_ = nullptr;
};

class Global {
 public:
  Global() = default;
  explicit Global(runtime::GlobalInst* g) : g_(g) {}
  bool is_null() const { return g_ == nullptr; }
  Val Get() const;
  /// Errors if immutable or if the kind differs.
  Error Set(const Val& v) const;
  GlobalType type() const;
  runtime::GlobalInst* raw() const { return g_; }

 private:
  runtime::GlobalInst* g_ = nullptr;
};

/// Anything that can be imported or exported.
struct Extern {
  ExternKind kind = ExternKind::kFunc;
  Func func;
  Table table;
  Memory memory;
  Global global;
  static Extern Of(Func f) { return {ExternKind::kFunc, f, {}, {}, {}}; }
  static Extern Of(Table t) { return {ExternKind::kTable, {}, t, {}, {}}; }
  static Extern Of(Memory m) { return {ExternKind::kMemory, {}, {}, m, {}}; }
  static Extern Of(Global g) { return {ExternKind::kGlobal, {}, {}, {}, g}; }
};

/// Host-created objects (e.g. the spec test's `spectest` module).
Expected<Memory> NewMemory(StoreBase& store, const MemoryType& type);
Expected<Table> NewTable(StoreBase& store, const TableType& type, const Val& init);
Expected<Global> NewGlobal(StoreBase& store, const GlobalType& type, const Val& init);

class Instance {
 public:
  Instance() = default;
  explicit Instance(runtime::Instance* i) : i_(i) {}
  std::optional<Extern> GetExport(std::string_view name) const;
  std::optional<Func> GetFunc(std::string_view name) const;
  std::optional<Memory> GetMemory(std::string_view name) const;
  std::optional<Table> GetTable(std::string_view name) const;
  std::optional<Global> GetGlobal(std::string_view name) const;
  /// All exports in declaration order.
  std::vector<std::pair<std::string, Extern>> Exports() const;
  runtime::Instance* raw() const { return i_; }

 private:
  runtime::Instance* i_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// Host functions

/// What a host function sees of its caller.
class CallerBase {
 public:
  explicit CallerBase(runtime::HostCallContext* ctx) : ctx_(ctx) {}
  StoreBase* store() const;
  /// The calling instance's export `name` (typically "memory"); empty if absent.
  std::optional<Extern> GetExport(std::string_view name) const;
  /// The calling instance's memory 0, or null.
  Memory memory() const;
  /// Suspends the calling guest until AsyncCall::Resume(). Only valid in an async call;
  /// returns an error otherwise (the host function should then trap).
  Error Suspend();
  runtime::HostCallContext* raw() const { return ctx_; }

 private:
  runtime::HostCallContext* ctx_;
};

/// The runtime store of a host call context.
runtime::Store* HostCallStore(runtime::HostCallContext* ctx);

template <typename T>
class Caller : public CallerBase {
 public:
  using CallerBase::CallerBase;
  /// The data of the Store<T> the call runs in (T must be that store's type).
  T& data() const { return *static_cast<T*>(GetStoreUserData(raw_store())); }

 private:
  runtime::Store* raw_store() const { return HostCallStore(raw()); }
};

/// A type-erased host function: reads `args`, writes `results` (kinds preset from the type).
/// A non-ok Error traps the guest with its message (kExit ends it with a status).
using HostCallback =
    std::function<Error(CallerBase& caller, std::span<const Val> args, std::span<Val> results)>;

/// Creates a host function in `store` (usable as an import or a funcref).
Func NewHostFunc(StoreBase& store, const FuncType& type, HostCallback callback);

namespace detail {
template <typename X>
struct WasmKind;
template <>
struct WasmKind<int32_t> {
  static constexpr ValKind kind = ValKind::kI32;
};
template <>
struct WasmKind<uint32_t> {
  static constexpr ValKind kind = ValKind::kI32;
};
template <>
struct WasmKind<int64_t> {
  static constexpr ValKind kind = ValKind::kI64;
};
template <>
struct WasmKind<uint64_t> {
  static constexpr ValKind kind = ValKind::kI64;
};
template <>
struct WasmKind<float> {
  static constexpr ValKind kind = ValKind::kF32;
};
template <>
struct WasmKind<double> {
  static constexpr ValKind kind = ValKind::kF64;
};
template <>
struct WasmKind<V128> {
  static constexpr ValKind kind = ValKind::kV128;
};
template <>
struct WasmKind<Func> {
  static constexpr ValKind kind = ValKind::kFuncRef;
};
template <>
struct WasmKind<ExternRef> {
  static constexpr ValKind kind = ValKind::kExternRef;
};

template <typename X>
X FromVal(const Val& v) {
  if constexpr (std::is_same_v<X, int32_t>)
    return v.i32();
  else if constexpr (std::is_same_v<X, uint32_t>)
    return static_cast<uint32_t>(v.i32());
  else if constexpr (std::is_same_v<X, int64_t>)
    return v.i64();
  else if constexpr (std::is_same_v<X, uint64_t>)
    return static_cast<uint64_t>(v.i64());
  else if constexpr (std::is_same_v<X, float>)
    return v.f32();
  else if constexpr (std::is_same_v<X, double>)
    return v.f64();
  else if constexpr (std::is_same_v<X, V128>)
    return v.v128();
  else if constexpr (std::is_same_v<X, Func>)
    return v.funcref();
  else
    return v.externref();
}
template <typename X>
Val ToVal(const X& x) {
  if constexpr (std::is_same_v<X, int32_t> || std::is_same_v<X, uint32_t>)
    return Val::I32(static_cast<int32_t>(x));
  else if constexpr (std::is_same_v<X, int64_t> || std::is_same_v<X, uint64_t>)
    return Val::I64(static_cast<int64_t>(x));
  else if constexpr (std::is_same_v<X, float>)
    return Val::F32(x);
  else if constexpr (std::is_same_v<X, double>)
    return Val::F64(x);
  else if constexpr (std::is_same_v<X, V128>)
    return Val::MakeV128(x);
  else if constexpr (std::is_same_v<X, Func>)
    return Val::FuncRef(x);
  else
    return Val::MakeExternRef(x);
}

// Results: void, a single value, std::tuple<...>, or any of these wrapped in Expected<> / Error.
template <typename R>
struct ResultTraits {
  static std::vector<ValKind> Kinds() { return {WasmKind<R>::kind}; }
  static Error Store(R&& r, std::span<Val> out) {
    out[0] = ToVal(r);
    return Error();
  }
};
template <>
struct ResultTraits<void> {
  static std::vector<ValKind> Kinds() { return {}; }
};
template <>
struct ResultTraits<Error> {
  static std::vector<ValKind> Kinds() { return {}; }
  static Error Store(Error&& e, std::span<Val>) { return std::move(e); }
};
template <typename... Xs>
struct ResultTraits<std::tuple<Xs...>> {
  static std::vector<ValKind> Kinds() { return {WasmKind<Xs>::kind...}; }
  static Error Store(std::tuple<Xs...>&& t, std::span<Val> out) {
    size_t i = 0;
    std::apply([&](auto&... x) { ((out[i++] = ToVal(x)), ...); }, t);
    return Error();
  }
};
template <typename R>
struct ResultTraits<Expected<R>> {
  static std::vector<ValKind> Kinds() { return ResultTraits<R>::Kinds(); }
  static Error Store(Expected<R>&& r, std::span<Val> out) {
    if (!r.ok()) return std::move(r).error();
    return ResultTraits<R>::Store(std::move(r).value(), out);
  }
};

template <typename X>
struct IsTuple : std::false_type {};
template <typename... Xs>
struct IsTuple<std::tuple<Xs...>> : std::true_type {};
/// Number of wasm results of a TypedFunc result type (void, one value, or a tuple).
template <typename R>
struct ResultCount : std::integral_constant<size_t, 1> {};
template <>
struct ResultCount<void> : std::integral_constant<size_t, 0> {};
template <typename... Xs>
struct ResultCount<std::tuple<Xs...>> : std::integral_constant<size_t, sizeof...(Xs)> {};
template <typename Tup, size_t... I>
Tup TupleFromValsImpl(const Val* v, std::index_sequence<I...>) {
  return Tup{FromVal<std::tuple_element_t<I, Tup>>(v[I])...};
}
template <typename Tup>
Tup TupleFromVals(const Val* v) {
  return TupleFromValsImpl<Tup>(v, std::make_index_sequence<std::tuple_size_v<Tup>>());
}

template <typename F>
struct CallableTraits : CallableTraits<decltype(&F::operator())> {};
template <typename C, typename R, typename... A>
struct CallableTraits<R (C::*)(A...) const> {
  using Result = R;
  using Args = std::tuple<A...>;
};
template <typename C, typename R, typename... A>
struct CallableTraits<R (C::*)(A...)> {
  using Result = R;
  using Args = std::tuple<A...>;
};
template <typename R, typename... A>
struct CallableTraits<R (*)(A...)> {
  using Result = R;
  using Args = std::tuple<A...>;
};

template <typename X>
struct IsCaller : std::false_type {};
template <typename T>
struct IsCaller<Caller<T>&> : std::true_type {};
template <>
struct IsCaller<CallerBase&> : std::true_type {};

template <typename Tuple>
struct ArgKinds;
template <typename... A>
struct ArgKinds<std::tuple<A...>> {
  static std::vector<ValKind> Kinds() { return {WasmKind<std::decay_t<A>>::kind...}; }
};
template <typename First, typename... A>
struct DropFirst;
template <typename First, typename... A>
struct DropFirst<std::tuple<First, A...>> {
  using type = std::tuple<A...>;
};

template <typename F, typename CallerT, typename... A, size_t... I>
decltype(auto) InvokeWithCaller(F& f, CallerT& caller, std::span<const Val> args, std::tuple<A...>*,
                                std::index_sequence<I...>) {
  (void)args;  // Unused when the function takes no parameters.
  return f(caller, FromVal<std::decay_t<A>>(args[I])...);
}
template <typename F, typename... A, size_t... I>
decltype(auto) InvokePlain(F& f, std::span<const Val> args, std::tuple<A...>*,
                           std::index_sequence<I...>) {
  (void)args;  // Unused when the function takes no parameters.
  return f(FromVal<std::decay_t<A>>(args[I])...);
}
}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Linking

/// Resolves imports once for a module and a linker; instantiates quickly many times.
class InstancePreBase {
 public:
  /// Creates an instance in `store` (which must be the store the definitions came from, or
  /// the definitions must be store-independent host functions), runs the start function.
  Expected<Instance> Instantiate(StoreBase& store) const;
  const Module& module() const { return module_; }

 private:
  friend class LinkerBase;
  Module module_;
  struct Def;
  std::vector<std::shared_ptr<const Def>> imports_;
};

template <typename T>
class InstancePre : public InstancePreBase {
 public:
  InstancePre() = default;
  explicit InstancePre(InstancePreBase base) : InstancePreBase(std::move(base)) {}
  Expected<Instance> Instantiate(Store<T>& store) const {
    return InstancePreBase::Instantiate(store);
  }
};

/// Names definitions by (module, name) and instantiates modules against them.
class LinkerBase {
 public:
  explicit LinkerBase(Engine& engine);
  ~LinkerBase();
  LinkerBase(LinkerBase&&) noexcept;
  LinkerBase& operator=(LinkerBase&&) noexcept;

  /// Defines a store-independent host function: each instantiating store gets its own
  /// FuncInst for it. Errors on a duplicate name unless AllowShadowing(true).
  Error DefineFunc(std::string_view module, std::string_view name, const FuncType& type,
                   HostCallback callback);
  /// Defines a store object (memory, table, global or function of a given store).
  Error Define(std::string_view module, std::string_view name, const Extern& item);
  /// Defines every export of `instance` under module name `module`.
  Error DefineInstance(std::string_view module, const Instance& instance);
  void AllowShadowing(bool allow);

  /// Resolves all imports of `module`; a missing or mismatched import is an error of code
  /// kUnlinkable naming the import ("unknown import: env::foo" / "incompatible import type").
  Expected<InstancePreBase> InstantiatePre(const Module& module) const;
  /// InstantiatePre + Instantiate.
  Expected<Instance> Instantiate(StoreBase& store, const Module& module) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

template <typename T>
class Linker : public LinkerBase {
 public:
  explicit Linker(Engine& engine) : LinkerBase(engine) {}
  /// Defines a host function from a plain C++ callable (see WrapFunc for the signatures).
  template <typename F>
  Error FuncWrap(std::string_view module, std::string_view name, F f);
  Expected<InstancePre<T>> InstantiatePre(const Module& module) const {
    auto r = LinkerBase::InstantiatePre(module);
    if (!r.ok()) return std::move(r).error();
    return InstancePre<T>(std::move(r).value());
  }
};

namespace detail {
/// Builds a HostCallback + FuncType from a callable (shared by WrapFunc and FuncWrap).
template <typename T, typename F>
std::pair<FuncType, HostCallback> MakeHostCallback(F f) {
  using Traits = CallableTraits<std::decay_t<F>>;
  using Args = typename Traits::Args;
  using R = typename Traits::Result;
  FuncType type;
  type.results = ResultTraits<R>::Kinds();
  constexpr bool kHasCaller =
      std::tuple_size_v < Args >> 0 &&
      IsCaller<std::tuple_element_t<
          0, std::conditional_t<(std::tuple_size_v < Args >> 0), Args, std::tuple<int>>>>::value;
  HostCallback cb;
  if constexpr (kHasCaller) {
    using Rest = typename DropFirst<Args>::type;
    type.params = ArgKinds<Rest>::Kinds();
    cb = [f = std::move(f)](CallerBase& base, std::span<const Val> args,
                            std::span<Val> results) mutable -> Error {
      using CallerT = std::remove_reference_t<std::tuple_element_t<0, Args>>;
      CallerT caller(base.raw());
      constexpr size_t n = std::tuple_size_v<Rest>;
      if constexpr (std::is_void_v<R>) {
        InvokeWithCaller(f, caller, args, static_cast<Rest*>(nullptr),
                         std::make_index_sequence<n>());
        return Error();
      } else {
        return ResultTraits<R>::Store(InvokeWithCaller(f, caller, args, static_cast<Rest*>(nullptr),
                                                       std::make_index_sequence<n>()),
                                      results);
      }
    };
  } else {
    type.params = ArgKinds<Args>::Kinds();
    cb = [f = std::move(f)](CallerBase&, std::span<const Val> args,
                            std::span<Val> results) mutable -> Error {
      constexpr size_t n = std::tuple_size_v<Args>;
      if constexpr (std::is_void_v<R>) {
        InvokePlain(f, args, static_cast<Args*>(nullptr), std::make_index_sequence<n>());
        return Error();
      } else {
        return ResultTraits<R>::Store(
            InvokePlain(f, args, static_cast<Args*>(nullptr), std::make_index_sequence<n>()),
            results);
      }
    };
  }
  return {std::move(type), std::move(cb)};
}
}  // namespace detail

/// Wraps a plain C++ callable as a host function; its signature gives the wasm type.
/// Parameters: int32_t/uint32_t (i32), int64_t/uint64_t (i64), float, double, V128, Func,
/// ExternRef, optionally preceded by `Caller<T>&` (or `CallerBase&`). Results: void, one of
/// those, std::tuple<...>, Error, or Expected<R>; a non-ok Error traps the guest.
template <typename T, typename F>
Func WrapFunc(StoreBase& store, F f) {
  auto [type, cb] = detail::MakeHostCallback<T>(std::move(f));
  return NewHostFunc(store, type, std::move(cb));
}

template <typename T>
template <typename F>
Error Linker<T>::FuncWrap(std::string_view module, std::string_view name, F f) {
  auto [type, cb] = detail::MakeHostCallback<T>(std::move(f));
  return DefineFunc(module, name, type, std::move(cb));
}

// ---------------------------------------------------------------------------------------------
// Async calls

/// A guest call running on its own fiber (Func::CallAsync).
class AsyncCall {
 public:
  enum class State : uint8_t { kSuspended, kDone };
  enum class Reason : uint8_t { kNone, kHostSuspend, kEpochYield };
  virtual ~AsyncCall() = default;
  virtual State state() const = 0;
  /// Why the call is suspended (kNone once done).
  virtual Reason reason() const = 0;
  /// Continues a suspended call until it finishes or suspends again.
  virtual State Resume() = 0;
  /// After kDone: the outcome (ok, kTrap or kExit) and the results.
  virtual const Error& error() const = 0;
  virtual const std::vector<Val>& results() const = 0;
};

// ---------------------------------------------------------------------------------------------
// Typed functions

/// A function with a statically known signature: TypedFunc<std::tuple<int32_t, int32_t>,
/// int32_t>. Results: void, one value type or std::tuple<...>.
template <typename Params, typename Results>
class TypedFunc;

template <typename... P, typename R>
class TypedFunc<std::tuple<P...>, R> {
  static constexpr size_t kNumResults = detail::ResultCount<R>::value;

 public:
  /// Checks `f`'s type against the template arguments.
  static Expected<TypedFunc> Make(Func f) {
    FuncType want{{detail::WasmKind<P>::kind...}, detail::ResultTraits<R>::Kinds()};
    if (!(f.type() == want)) {
      return Error::Make(
          ErrorCode::kArgument,
          "function type mismatch: expected " + want.ToString() + ", got " + f.type().ToString());
    }
    TypedFunc t;
    t.f_ = f;
    return t;
  }
  /// Calls; a trap or exit comes back as the Error.
  Expected<std::conditional_t<std::is_void_v<R>, std::tuple<>, R>> Call(StoreBase& store,
                                                                        P... args) const {
    Val in[sizeof...(P) + 1] = {detail::ToVal(args)...};
    // Fixed-size arrays: a typed call allocates nothing.
    Val out[kNumResults + 1];
    Error e =
        f_.Call(store, std::span<const Val>(in, sizeof...(P)), std::span<Val>(out, kNumResults));
    if (!e.ok()) return e;
    if constexpr (std::is_void_v<R>) {
      return std::tuple<>();
    } else if constexpr (detail::IsTuple<R>::value) {
      return detail::TupleFromVals<R>(out);
    } else {
      return detail::FromVal<R>(out[0]);
    }
  }
  Func func() const { return f_; }

 private:
  Func f_;
};

}  // namespace weft
