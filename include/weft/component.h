// The component embedding API, mirroring the core one (weft.h): Component (compiled, immutable,
// shared by threads), Linker<T> (host instances, functions and resources by WIT name),
// InstancePre<T>, Instance, Func and TypedFunc. Values cross as dynamic Vals
// (component_types.h) or, for typed host functions and TypedFunc, as C++ types mapped at
// compile time by ValTraits (bool, integers, float/double, char32_t, std::string,
// std::vector, std::optional, Result, std::tuple, Resource<R>/Borrow<R>,
// Variant<Case<"label", T>...>, Flags<"a", "b">, and user records and enums through the
// WEFT_COMPONENT_RECORD / WEFT_COMPONENT_ENUM macros or ValTraits specialisations).
//
// Host interfaces are plain C++ classes reached through a getter from the store's data
// (DESIGN.md decision 7):
//   struct State { MyHost host; };
//   component::Linker<State> linker(engine);
//   auto inst = linker.Instance("my:pkg/iface@1.0.0");
//   inst.FuncWrap("greet", [](State& s, std::string name) -> std::string { ... });
// Imports are matched by name with semver compatibility: "wasi:io/streams@0.2.0" links
// against a host instance defined as "wasi:io/streams@0.2.12" (same major.minor for 0.x, same
// major for >= 1; the highest compatible definition wins).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "weft/component_types.h"
#include "weft/error.h"
#include "weft/weft.h"

namespace weft::component {

class Instance;
class LinkerBase;

// ---------------------------------------------------------------------------------------------
// Component

/// A compiled component: decoded, validated, every core module compiled (lazily lowered).
/// Immutable; cheap to copy (shared); usable from any thread.
class Component {
 public:
  Component() = default;
  /// Errors: kMalformed / kInvalid with the byte offset and the rule broken.
  static Expected<Component> Compile(Engine& engine, std::span<const uint8_t> bytes);
  static Expected<Component> FromFile(Engine& engine, const std::string& path);
  /// True if `bytes` starts with the component preamble (a core module returns false).
  static bool IsComponentBinary(std::span<const uint8_t> bytes);
  /// True if `bytes` starts with the core module preamble (not a component, then).
  static bool IsCoreModuleBinary(std::span<const uint8_t> bytes);

  std::vector<ExternDesc> imports() const;
  std::vector<ExternDesc> exports() const;
  /// `weft inspect`'s WIT text.
  std::string ToWit(bool verbose = false) const;

  struct Impl;
  const std::shared_ptr<const Impl>& impl() const { return impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

// ---------------------------------------------------------------------------------------------
// Host side

/// Given to host functions: the store, its user data, and suspension of the calling guest.
class HostContext {
 public:
  explicit HostContext(CallerBase& caller) : caller_(&caller) {}
  StoreBase& store() const { return *caller_->store(); }
  template <typename T>
  T& data() const {
    return static_cast<Store<T>&>(store()).data();
  }
  /// Suspends the calling guest until the embedder resumes it (only inside an async call;
  /// otherwise returns an error the host function should return, which traps the guest).
  Error Suspend() const { return caller_->Suspend(); }
  CallerBase& caller() const { return *caller_; }

 private:
  CallerBase* caller_;
};

/// A dynamic host function: receives the parameters lifted per the importing component's
/// declared type, writes `results` (sized 0 or 1 by the caller, per that type). A non-ok
/// Error traps the guest (Error::Exit ends it with an exit status).
using HostFunc =
    std::function<Error(HostContext& cx, std::span<const Val> params, std::span<Val> results)>;

/// Called when the guest drops an own handle of a host resource (canon resource.drop), with
/// the calling guest's context (`cx` is null when no guest call is on the stack). Not called
/// when the store is destroyed: handles still in tables then die with the store's data.
using HostDtor = std::function<void(HostContext* cx, StoreBase& store, uint32_t rep)>;

/// The run-time identity of the host resource type R (a tag type of the embedder's choice).
template <typename R>
ResourceType HostResourceType() {
  static const char tag = 0;
  return ResourceType{&tag};
}

/// Drops a resource the host owns (an own<...> that a guest function returned, as a Val's
/// ResourceAny): runs the guest's dtor for a guest-defined type (kTrap if its instance is
/// running an export), the linker's HostDtor for a host type. Not for borrows. kArgument if
/// the store knows no such resource type.
Error ResourceDrop(StoreBase& store, const ResourceAny& resource);

/// An owned handle to a host resource of tag type R: the rep the host chose. Moving it to the
/// guest (returning it) transfers ownership into the guest's handle table.
template <typename R>
struct Resource {
  uint32_t rep = 0;
};
/// A borrowed handle (parameter only): valid for the duration of the call.
template <typename R>
struct Borrow {
  uint32_t rep = 0;
};

/// result<T, E> for typed functions; T or E may be void (`Result<void, ErrorCode>`).
template <typename T, typename E>
class Result {
  using TS = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
  using ES = std::conditional_t<std::is_void_v<E>, std::monostate, E>;

 public:
  static Result Ok(TS v = {}) { return Result(true, std::move(v), ES{}); }
  static Result Err(ES e = {}) { return Result(false, TS{}, std::move(e)); }
  bool ok() const { return ok_; }
  const TS& value() const { return ok_value_; }
  TS& value() { return ok_value_; }
  const ES& error() const { return err_value_; }
  ES& error() { return err_value_; }

 private:
  Result(bool ok, TS v, ES e) : ok_(ok), ok_value_(std::move(v)), err_value_(std::move(e)) {}
  bool ok_;
  TS ok_value_;
  ES err_value_;
};

/// Maps a C++ type to a component value type: `static TypeRef Type()` (a node in a static
/// arena), `static Val ToVal(const X&)`, `static X FromVal(const Val&)` (the Val is
/// well-formed for Type()). Specialised in component_traits.h for the built-in mappings
/// (incl. Variant and Flags); records and enums come from WEFT_COMPONENT_RECORD / _ENUM, and
/// embedders may specialise it for their own C++ types.
template <typename X, typename = void>
struct ValTraits;

/// A node in the process-wide arena for ValTraits types (never freed).
Type* NewStaticType(TypeKind kind);

// ---------------------------------------------------------------------------------------------
// Linker

/// Resource definitions and functions of one host instance (an interface such as
/// "wasi:io/streams@0.2.12") or, for Linker::Root(), the component's top level.
class LinkerInstanceBase {
 public:
  /// Defines a dynamic host function: it receives values per the import's declared type
  /// (no type check at link time; only the name must match).
  Error FuncNew(std::string_view name, HostFunc f);
  /// Defines a host function with a declared kFunc type, checked against imports at link
  /// time (param names ignored).
  Error FuncNewTyped(std::string_view name, TypeRef func_type, HostFunc f);
  /// Defines a host resource type `name` with run-time identity `type`; `dtor` may be empty.
  Error DefineResource(std::string_view name, ResourceType type, HostDtor dtor);

  struct Node;
  LinkerInstanceBase(LinkerBase* linker, Node* node) : linker_(linker), node_(node) {}
  LinkerBase* linker() const { return linker_; }
  Node* node() const { return node_; }

 private:
  LinkerBase* linker_;
  Node* node_;
};

template <typename T>
class LinkerInstance : public LinkerInstanceBase {
 public:
  using LinkerInstanceBase::LinkerInstanceBase;
  using LinkerInstanceBase::DefineResource;
  /// Defines a typed host function from a callable (capture-free lambdas and function
  /// pointers preferred). First parameter optionally `T&` (the store data) or
  /// `HostContext&`; the rest ValTraits types (Borrow<R>/Resource<R> for handles); the
  /// result void, a ValTraits type, or Expected<X> of one (an Error traps the guest).
  /// Its component type comes from ValTraits and is checked against imports at link time.
  template <typename F>
  Error FuncWrap(std::string_view name, F f);
  /// Host resource R (ResourceType HostResourceType<R>()), dtor(T&, rep) optional.
  template <typename R>
  Error DefineResource(std::string_view name, void (*dtor)(T&, uint32_t rep) = nullptr);
};

class InstancePreBase;

class LinkerBase {
 public:
  explicit LinkerBase(Engine& engine);
  ~LinkerBase();
  LinkerBase(LinkerBase&&) noexcept;
  LinkerBase& operator=(LinkerBase&&) noexcept;
  Engine& engine() const;

  /// The host instance with this name ("wasi:cli/stdout@0.2.12"), created on first use.
  LinkerInstanceBase InstanceBase(std::string_view name);
  /// The root (for components importing plain-named functions).
  LinkerInstanceBase RootBase();
  /// With `trap`, imports the linker lacks are satisfied by functions that trap when called
  /// ("unknown import `x` called") instead of failing InstantiatePre.
  void TrapUnknownImports(bool trap);
  void AllowShadowing(bool allow);

  /// Resolves every import of `component` (names with semver compatibility, types checked);
  /// an unresolvable import is an error naming it (and, for an interface, the missing
  /// function or resource), code kUnlinkable: "component imports `wasi:sockets/tcp@0.2.0`
  /// (function `[method]tcp-socket.start-bind`), which the linker does not define".
  Expected<InstancePreBase> InstantiatePreBase(const Component& component) const;

  struct Impl;
  Impl* impl() const { return impl_.get(); }

 private:
  std::unique_ptr<Impl> impl_;
};

template <typename T>
class InstancePre;

template <typename T>
class Linker : public LinkerBase {
 public:
  explicit Linker(Engine& engine) : LinkerBase(engine) {}
  LinkerInstance<T> Instance(std::string_view name) {
    LinkerInstanceBase b = InstanceBase(name);
    return LinkerInstance<T>(b.linker(), b.node());
  }
  LinkerInstance<T> Root() {
    LinkerInstanceBase b = RootBase();
    return LinkerInstance<T>(b.linker(), b.node());
  }
  Expected<InstancePre<T>> InstantiatePre(const Component& component) const;
};

/// Imports resolved once; instantiates in any store of the right type. Immutable, shareable.
class InstancePreBase {
 public:
  InstancePreBase() = default;
  /// Instantiates the component's core modules, runs its start functions (core start and
  /// instantiation-time initialisers), returns the instance. Errors: kTrap, kLimit, ...
  Expected<Instance> Instantiate(StoreBase& store) const;
  const Component& component() const;

  struct Impl;
  explicit InstancePreBase(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<const Impl> impl_;
};

template <typename T>
class InstancePre : public InstancePreBase {
 public:
  InstancePre() = default;
  explicit InstancePre(InstancePreBase base) : InstancePreBase(std::move(base)) {}
};

template <typename T>
Expected<InstancePre<T>> Linker<T>::InstantiatePre(const Component& component) const {
  auto r = InstantiatePreBase(component);
  if (!r.ok()) return std::move(r).error();
  return InstancePre<T>(std::move(r).value());
}

// ---------------------------------------------------------------------------------------------
// Instances and functions

/// An exported component function of an instance in a store.
class Func {
 public:
  Func() = default;
  bool is_null() const { return impl_ == nullptr; }
  /// The kFunc type.
  TypeRef type() const;
  /// Lowers `params` (checked with CheckVal against type()), calls, lifts the result into
  /// `results` (resized to 0 or 1), then runs the export's post-return. Traps and
  /// Error::Exit come back as the Error.
  Error Call(StoreBase& store, std::span<const Val> params, std::vector<Val>& results) const;
  /// The same on a fiber: host functions may Suspend() and epoch deadlines may yield.
  /// The returned call's results() are core Vals of no use here: use FinishAsync() when
  /// done. The instance cannot be entered until FinishAsync (re-entry traps).
  Expected<std::unique_ptr<AsyncCall>> CallAsync(StoreBase& store, std::vector<Val> params) const;
  /// After an async call is kDone: lifts its results (and runs post-return).
  Error FinishAsync(StoreBase& store, AsyncCall& call, std::vector<Val>& results) const;

  struct Impl;
  explicit Func(Impl* impl) : impl_(impl) {}
  Impl* impl() const { return impl_; }

 private:
  Impl* impl_ = nullptr;  // owned by the instance's state in the store
};

class Instance {
 public:
  Instance() = default;
  bool is_null() const { return impl_ == nullptr; }
  /// A function exported at the top level ("run") or inside an exported instance
  /// (GetFunc("wasi:cli/run@0.2.0", "run"); the instance name matches with semver
  /// compatibility).
  std::optional<Func> GetFunc(std::string_view name) const;
  std::optional<Func> GetFunc(std::string_view instance, std::string_view name) const;
  /// Top-level export names with their types.
  std::vector<ExternDesc> exports() const;

  struct Impl;
  explicit Instance(Impl* impl) : impl_(impl) {}
  Impl* impl() const { return impl_; }

 private:
  Impl* impl_ = nullptr;  // owned by the store
};

/// A function with a statically known signature: TypedFunc<std::tuple<std::string>,
/// uint32_t>; R may be void. Make() checks the type.
template <typename Params, typename R>
class TypedFunc;

template <typename... P, typename R>
class TypedFunc<std::tuple<P...>, R> {
 public:
  static Expected<TypedFunc> Make(Func f);
  Expected<std::conditional_t<std::is_void_v<R>, std::monostate, R>> Call(StoreBase& store,
                                                                         const P&... params) const;
  Func func() const { return f_; }

 private:
  Func f_;
};

}  // namespace weft::component

// Template definitions (ValTraits built-ins, FuncWrap, TypedFunc).
#include "weft/component_traits.h"
