// Template definitions behind component.h: the built-in ValTraits mappings (Variant<Case<"l",
// T>...> and Flags<"a", "b"> for variants and flags), the record / enum helper macros,
// LinkerInstance<T>::FuncWrap / DefineResource, and TypedFunc. Included by component.h only.
// Every ValTraits<X>::Type() returns the same node on every call (a function-local static in
// the process-wide arena of NewStaticType), so typed signatures cost one allocation per C++
// type per process; ToVal/FromVal assume well-formed Vals.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace weft::component {

namespace detail {

/// Member name → WIT label: '_' becomes '-' ("max_size" → "max-size").
inline std::string KebabName(std::string_view name) {
  std::string s(name);
  for (char& c : s) {
    if (c == '_') c = '-';
  }
  return s;
}

template <TypeKind K>
struct PrimTraits {
  static TypeRef Type() { return PrimitiveType(K); }
};

/// A kFunc node for parameters A... and result R (void for none), cached per signature.
template <typename R, typename... A>
TypeRef StaticFuncType();

template <typename X>
struct IsExpected : std::false_type {};
template <typename X>
struct IsExpected<Expected<X>> : std::true_type {
  using Inner = X;
};

/// The component result type of a host callable's C++ result: void/Error → none,
/// Expected<X> → X, X → X.
template <typename R>
struct HostResult {
  using Value = R;
  static constexpr bool kNone = false;
};
template <>
struct HostResult<void> {
  using Value = void;
  static constexpr bool kNone = true;
};
template <>
struct HostResult<Error> {
  using Value = void;
  static constexpr bool kNone = true;
};
template <typename X>
struct HostResult<Expected<X>> {
  using Value = X;
  static constexpr bool kNone = false;
};

template <typename X>
struct StripCRef {
  using type = std::remove_cv_t<std::remove_reference_t<X>>;
};

/// Makes `out` equal to ValTraits<X>::ToVal(x). Types whose traits have AssignTo (results,
/// options, resources) overwrite `out` in place, keeping its buffers: a host function's
/// result Val is reused across calls, so e.g. result<own<r>> allocates nothing per call.
template <typename X>
void AssignVal(Val& out, const X& x);

}  // namespace detail

/// The process-wide kResource node standing for host resource type `type` in typed
/// signatures (Resource<R>/Borrow<R>); one node per ResourceType, created on first use.
TypeRef HostResourceNode(ResourceType type);
/// The host ResourceType a node made by HostResourceNode stands for (null otherwise).
ResourceType HostResourceOfNode(TypeRef node);

// --- Primitives ------------------------------------------------------------------------------

template <>
struct ValTraits<bool> : detail::PrimTraits<TypeKind::kBool> {
  static Val ToVal(bool b) { return Val::Bool(b); }
  static bool FromVal(const Val& v) { return v.bits != 0; }
};
template <>
struct ValTraits<int8_t> : detail::PrimTraits<TypeKind::kS8> {
  static Val ToVal(int8_t x) { return Val::S8(x); }
  static int8_t FromVal(const Val& v) { return static_cast<int8_t>(v.bits); }
};
template <>
struct ValTraits<uint8_t> : detail::PrimTraits<TypeKind::kU8> {
  static Val ToVal(uint8_t x) { return Val::U8(x); }
  static uint8_t FromVal(const Val& v) { return static_cast<uint8_t>(v.bits); }
};
template <>
struct ValTraits<int16_t> : detail::PrimTraits<TypeKind::kS16> {
  static Val ToVal(int16_t x) { return Val::S16(x); }
  static int16_t FromVal(const Val& v) { return static_cast<int16_t>(v.bits); }
};
template <>
struct ValTraits<uint16_t> : detail::PrimTraits<TypeKind::kU16> {
  static Val ToVal(uint16_t x) { return Val::U16(x); }
  static uint16_t FromVal(const Val& v) { return static_cast<uint16_t>(v.bits); }
};
template <>
struct ValTraits<int32_t> : detail::PrimTraits<TypeKind::kS32> {
  static Val ToVal(int32_t x) { return Val::S32(x); }
  static int32_t FromVal(const Val& v) { return static_cast<int32_t>(v.bits); }
};
template <>
struct ValTraits<uint32_t> : detail::PrimTraits<TypeKind::kU32> {
  static Val ToVal(uint32_t x) { return Val::U32(x); }
  static uint32_t FromVal(const Val& v) { return static_cast<uint32_t>(v.bits); }
};
template <>
struct ValTraits<int64_t> : detail::PrimTraits<TypeKind::kS64> {
  static Val ToVal(int64_t x) { return Val::S64(x); }
  static int64_t FromVal(const Val& v) { return static_cast<int64_t>(v.bits); }
};
template <>
struct ValTraits<uint64_t> : detail::PrimTraits<TypeKind::kU64> {
  static Val ToVal(uint64_t x) { return Val::U64(x); }
  static uint64_t FromVal(const Val& v) { return v.bits; }
};
template <>
struct ValTraits<float> : detail::PrimTraits<TypeKind::kF32> {
  static Val ToVal(float x) { return Val::F32(x); }
  static float FromVal(const Val& v) { return v.f32(); }
};
template <>
struct ValTraits<double> : detail::PrimTraits<TypeKind::kF64> {
  static Val ToVal(double x) { return Val::F64(x); }
  static double FromVal(const Val& v) { return v.f64(); }
};
template <>
struct ValTraits<char32_t> : detail::PrimTraits<TypeKind::kChar> {
  static Val ToVal(char32_t c) { return Val::Char(c); }
  static char32_t FromVal(const Val& v) { return static_cast<char32_t>(v.bits); }
};
template <>
struct ValTraits<std::string> : detail::PrimTraits<TypeKind::kString> {
  static Val ToVal(const std::string& s) { return Val::String(s); }
  static Val ToVal(std::string&& s) { return Val::String(std::move(s)); }
  static std::string FromVal(const Val& v) { return v.str; }
  static std::string FromVal(Val&& v) { return std::move(v.str); }
};

// --- Containers ------------------------------------------------------------------------------

template <typename X>
struct ValTraits<std::vector<X>> {
  static TypeRef Type() {
    static const TypeRef t = [] {
      auto* n = NewStaticType(TypeKind::kList);
      n->elem = ValTraits<X>::Type();
      return n;
    }();
    return t;
  }
  // list<u8> travels as packed bytes (component_types.h): one copy each way, and both
  // forms are accepted from dynamic callers.
  static Val ToVal(const std::vector<X>& xs) {
    if constexpr (std::is_same_v<X, uint8_t>) {
      return Val::Bytes(std::span<const uint8_t>(xs));
    } else {
      std::vector<Val> items;
      items.reserve(xs.size());
      for (const X& x : xs) items.push_back(ValTraits<X>::ToVal(x));
      return Val::Aggregate(TypeKind::kList, std::move(items));
    }
  }
  static std::vector<X> FromVal(const Val& v) {
    std::vector<X> xs;
    if constexpr (std::is_same_v<X, uint8_t>) {
      AppendListBytes(v, xs);
    } else {
      xs.reserve(v.items.size());
      for (const Val& item : v.items) xs.push_back(ValTraits<X>::FromVal(item));
    }
    return xs;
  }
};

template <typename X>
struct ValTraits<std::optional<X>> {
  static TypeRef Type() {
    static const TypeRef t = [] {
      auto* n = NewStaticType(TypeKind::kOption);
      n->elem = ValTraits<X>::Type();
      return n;
    }();
    return t;
  }
  static Val ToVal(const std::optional<X>& x) {
    if (!x) return Val::Aggregate(TypeKind::kOption, {}, 0);
    std::vector<Val> items;
    items.push_back(ValTraits<X>::ToVal(*x));
    return Val::Aggregate(TypeKind::kOption, std::move(items), 1);
  }
  static void AssignTo(Val& out, const std::optional<X>& x) {
    out.Reset(TypeKind::kOption, x ? 1 : 0, x ? 1 : 0);
    if (x) detail::AssignVal(out.items[0], *x);
  }
  static std::optional<X> FromVal(const Val& v) {
    if (v.bits == 0 || v.items.empty()) return std::nullopt;
    return ValTraits<X>::FromVal(v.items[0]);
  }
};

template <typename T, typename E>
struct ValTraits<Result<T, E>> {
  static TypeRef Type() {
    static const TypeRef t = [] {
      auto* n = NewStaticType(TypeKind::kResult);
      if constexpr (!std::is_void_v<T>) n->elem = ValTraits<T>::Type();
      if constexpr (!std::is_void_v<E>) n->err = ValTraits<E>::Type();
      return n;
    }();
    return t;
  }
  static Val ToVal(const Result<T, E>& r) {
    std::vector<Val> items;
    if (r.ok()) {
      if constexpr (!std::is_void_v<T>) items.push_back(ValTraits<T>::ToVal(r.value()));
      return Val::Aggregate(TypeKind::kResult, std::move(items), 0);
    }
    if constexpr (!std::is_void_v<E>) items.push_back(ValTraits<E>::ToVal(r.error()));
    return Val::Aggregate(TypeKind::kResult, std::move(items), 1);
  }
  static void AssignTo(Val& out, const Result<T, E>& r) {
    if (r.ok()) {
      out.Reset(TypeKind::kResult, 0, std::is_void_v<T> ? 0 : 1);
      if constexpr (!std::is_void_v<T>) detail::AssignVal(out.items[0], r.value());
    } else {
      out.Reset(TypeKind::kResult, 1, std::is_void_v<E> ? 0 : 1);
      if constexpr (!std::is_void_v<E>) detail::AssignVal(out.items[0], r.error());
    }
  }
  static Result<T, E> FromVal(const Val& v) {
    if (v.bits == 0) {
      if constexpr (std::is_void_v<T>) {
        return Result<T, E>::Ok();
      } else {
        return Result<T, E>::Ok(ValTraits<T>::FromVal(v.items.at(0)));
      }
    }
    if constexpr (std::is_void_v<E>) {
      return Result<T, E>::Err();
    } else {
      return Result<T, E>::Err(ValTraits<E>::FromVal(v.items.at(0)));
    }
  }
};

template <typename... Xs>
struct ValTraits<std::tuple<Xs...>> {
  static TypeRef Type() {
    static const TypeRef t = [] {
      auto* n = NewStaticType(TypeKind::kTuple);
      (n->fields.push_back(NamedType{"", ValTraits<Xs>::Type()}), ...);
      return n;
    }();
    return t;
  }
  static Val ToVal(const std::tuple<Xs...>& tup) {
    std::vector<Val> items;
    items.reserve(sizeof...(Xs));
    std::apply([&](const auto&... x) { (items.push_back(ValTraits<Xs>::ToVal(x)), ...); }, tup);
    return Val::Aggregate(TypeKind::kTuple, std::move(items));
  }
  static std::tuple<Xs...> FromVal(const Val& v) {
    return FromItems(v, std::index_sequence_for<Xs...>());
  }

 private:
  template <size_t... I>
  static std::tuple<Xs...> FromItems(const Val& v, std::index_sequence<I...>) {
    return std::tuple<Xs...>(ValTraits<Xs>::FromVal(v.items.at(I))...);
  }
};

// --- Variants and flags ----------------------------------------------------------------------

/// A compile-time label for Case and Flags: `Case<"circle", double>`, `Flags<"read", "write">`.
template <size_t N>
struct Label {
  char text[N];
  constexpr Label(const char (&s)[N]) {  // NOLINT(google-explicit-constructor): NTTP literal
    for (size_t i = 0; i < N; ++i) text[i] = s[i];
  }
  std::string_view view() const { return std::string_view(text, N - 1); }
};

/// One case of a Variant: its WIT label and payload type (void for none).
template <Label L, typename T = void>
struct Case {
  using Payload = T;
  static constexpr auto kLabel = L;
};

/// variant { cases... } as a C++ type: the active case's index and its payload (std::monostate
/// for a case without one). Build with Variant::Make<I>(payload), read with index()/get<I>().
template <typename... Cases>
class Variant {
 public:
  using Storage = std::variant<
      std::conditional_t<std::is_void_v<typename Cases::Payload>, std::monostate,
                         typename Cases::Payload>...>;
  template <size_t I, typename... A>
  static Variant Make(A&&... a) {
    Variant v;
    v.value_.template emplace<I>(std::forward<A>(a)...);
    return v;
  }
  size_t index() const { return value_.index(); }
  template <size_t I>
  const auto& get() const {
    return std::get<I>(value_);
  }
  const Storage& storage() const { return value_; }
  bool operator==(const Variant&) const = default;

 private:
  Storage value_;
};

template <typename... Cases>
struct ValTraits<Variant<Cases...>> {
  using V = Variant<Cases...>;
  static TypeRef Type() {
    static const TypeRef t = [] {
      auto* n = NewStaticType(TypeKind::kVariant);
      (n->fields.push_back(NamedType{std::string(Cases::kLabel.view()), PayloadType<Cases>()}),
       ...);
      return n;
    }();
    return t;
  }
  static Val ToVal(const V& v) {
    return std::visit(
        [&](const auto& payload) {
          using P = std::decay_t<decltype(payload)>;
          std::vector<Val> items;
          if constexpr (!std::is_same_v<P, std::monostate>) {
            items.push_back(ValTraits<P>::ToVal(payload));
          }
          return Val::Aggregate(TypeKind::kVariant, std::move(items), v.index());
        },
        v.storage());
  }
  static V FromVal(const Val& v) { return FromCase(v, std::index_sequence_for<Cases...>()); }

 private:
  template <typename C>
  static TypeRef PayloadType() {
    if constexpr (std::is_void_v<typename C::Payload>) {
      return nullptr;
    } else {
      return ValTraits<typename C::Payload>::Type();
    }
  }
  template <size_t... I>
  static V FromCase(const Val& v, std::index_sequence<I...>) {
    V out;
    (void)((v.bits == I ? (out = MakeCase<I>(v), true) : false) || ...);
    return out;
  }
  template <size_t I>
  static V MakeCase(const Val& v) {
    using P = std::variant_alternative_t<I, typename V::Storage>;
    if constexpr (std::is_same_v<P, std::monostate>) {
      return V::template Make<I>();
    } else {
      return V::template Make<I>(ValTraits<P>::FromVal(v.items.at(0)));
    }
  }
};

/// flags { labels... } as a C++ type: bit i is label i (at most 32 labels).
template <Label... Ls>
struct Flags {
  static_assert(sizeof...(Ls) > 0 && sizeof...(Ls) <= 32, "flags have 1 to 32 labels");
  uint32_t bits = 0;
  bool has(size_t i) const { return (bits >> i) & 1; }
  Flags& set(size_t i, bool on = true) {
    bits = on ? (bits | (1u << i)) : (bits & ~(1u << i));
    return *this;
  }
  bool operator==(const Flags&) const = default;
};

template <Label... Ls>
struct ValTraits<Flags<Ls...>> {
  static TypeRef Type() {
    static const TypeRef t = [] {
      auto* n = NewStaticType(TypeKind::kFlags);
      (n->labels.push_back(std::string(Ls.view())), ...);
      return n;
    }();
    return t;
  }
  static Val ToVal(const Flags<Ls...>& f) { return Val::Make(TypeKind::kFlags, f.bits); }
  static Flags<Ls...> FromVal(const Val& v) {
    Flags<Ls...> f;
    f.bits = static_cast<uint32_t>(v.bits);
    return f;
  }
};

// --- Resources -------------------------------------------------------------------------------

template <typename R>
struct ValTraits<Resource<R>> {
  static TypeRef Type() {
    static const TypeRef t = [] {
      auto* n = NewStaticType(TypeKind::kOwn);
      n->elem = HostResourceNode(HostResourceType<R>());
      return n;
    }();
    return t;
  }
  static Val ToVal(const Resource<R>& r) {
    return Val::Own(ResourceAny{HostResourceType<R>(), r.rep});
  }
  static void AssignTo(Val& out, const Resource<R>& r) {
    out.Reset(TypeKind::kOwn);
    out.resource = ResourceAny{HostResourceType<R>(), r.rep};
  }
  static Resource<R> FromVal(const Val& v) { return Resource<R>{v.resource.rep}; }
};

template <typename R>
struct ValTraits<Borrow<R>> {
  static TypeRef Type() {
    static const TypeRef t = [] {
      auto* n = NewStaticType(TypeKind::kBorrow);
      n->elem = HostResourceNode(HostResourceType<R>());
      return n;
    }();
    return t;
  }
  static Val ToVal(const Borrow<R>& r) {
    return Val::Borrow(ResourceAny{HostResourceType<R>(), r.rep});
  }
  static void AssignTo(Val& out, const Borrow<R>& r) {
    out.Reset(TypeKind::kBorrow);
    out.resource = ResourceAny{HostResourceType<R>(), r.rep};
  }
  static Borrow<R> FromVal(const Val& v) { return Borrow<R>{v.resource.rep}; }
};

// --- Functions -------------------------------------------------------------------------------

namespace detail {

template <typename X>
void AssignVal(Val& out, const X& x) {
  if constexpr (requires { ValTraits<X>::AssignTo(out, x); }) {
    ValTraits<X>::AssignTo(out, x);
  } else {
    out = ValTraits<X>::ToVal(x);
  }
}

template <typename R, typename... A>
TypeRef StaticFuncType() {
  static const TypeRef t = [] {
    auto* n = NewStaticType(TypeKind::kFunc);
    size_t i = 0;
    // Parameter names are not part of type matching; these only make messages readable.
    // Built by appends: g++-12 -Wrestrict misfires on `"p" + std::to_string(...)`.
    auto param = [&](TypeRef pt) {
      std::string name(1, 'p');
      name += std::to_string(i++);
      n->fields.push_back(NamedType{std::move(name), pt});
    };
    (param(ValTraits<A>::Type()), ...);
    (void)param;  // unused when A is empty (g++-12 -Wunused-but-set-variable)
    if constexpr (!std::is_void_v<R>) n->result = ValTraits<R>::Type();
    return n;
  }();
  return t;
}

template <typename Tuple>
struct FuncTypeOfArgs;
template <typename... A>
struct FuncTypeOfArgs<std::tuple<A...>> {
  template <typename R>
  static TypeRef Get() {
    return StaticFuncType<R, typename StripCRef<A>::type...>();
  }
};

template <typename X, typename T>
constexpr bool kIsContextArg =
    std::is_same_v<X, T&> || std::is_same_v<X, HostContext&> ||
    std::is_same_v<X, const HostContext&>;

template <typename F, typename Tuple>
struct HostInvoker;
template <typename F, typename... A>
struct HostInvoker<F, std::tuple<A...>> {
  template <typename... Pre>
  static decltype(auto) Invoke(F& f, std::span<const Val> params, Pre&&... pre) {
    return InvokeImpl(f, params, std::index_sequence_for<A...>(), std::forward<Pre>(pre)...);
  }

 private:
  template <size_t... I, typename... Pre>
  static decltype(auto) InvokeImpl(F& f, std::span<const Val> params, std::index_sequence<I...>,
                                   Pre&&... pre) {
    (void)params;  // unused without parameters
    return f(std::forward<Pre>(pre)...,
             ValTraits<typename StripCRef<A>::type>::FromVal(params[I])...);
  }
};

template <typename First, typename... A>
struct DropFirstArg;
template <typename First, typename... A>
struct DropFirstArg<std::tuple<First, A...>> {
  using type = std::tuple<A...>;
};

/// Builds (type, HostFunc) for a typed host callable (see LinkerInstance::FuncWrap).
template <typename T, typename F>
std::pair<TypeRef, HostFunc> MakeTypedHostFunc(F f) {
  using Traits = weft::detail::CallableTraits<std::decay_t<F>>;
  using Args = typename Traits::Args;
  using R = typename Traits::Result;
  using RV = typename HostResult<R>::Value;
  constexpr bool kHasArgs = std::tuple_size_v<Args> > 0;
  using First = std::tuple_element_t<0, std::conditional_t<kHasArgs, Args, std::tuple<int>>>;
  constexpr bool kHasContext = kHasArgs && kIsContextArg<First, T>;
  using Rest = typename std::conditional_t<kHasContext, DropFirstArg<Args>,
                                           std::type_identity<Args>>::type;
  TypeRef type = FuncTypeOfArgs<Rest>::template Get<RV>();
  HostFunc cb = [f = std::move(f)](HostContext& cx, std::span<const Val> params,
                                   std::span<Val> results) mutable -> Error {
    auto call = [&]() -> decltype(auto) {
      if constexpr (!kHasContext) {
        return HostInvoker<F, Rest>::Invoke(f, params);
      } else if constexpr (std::is_same_v<First, T&>) {
        return HostInvoker<F, Rest>::Invoke(f, params, cx.template data<T>());
      } else {
        return HostInvoker<F, Rest>::Invoke(f, params, cx);
      }
    };
    if constexpr (std::is_void_v<R>) {
      call();
      return Error();
    } else if constexpr (std::is_same_v<R, Error>) {
      return call();
    } else if constexpr (IsExpected<R>::value) {
      R r = call();
      if (!r.ok()) return std::move(r).error();
      if (!results.empty()) AssignVal(results[0], r.value());
      return Error();
    } else {
      R r = call();
      if (!results.empty()) AssignVal(results[0], r);
      return Error();
    }
  };
  return {type, std::move(cb)};
}

/// Checks that `f`'s type is `want` (structurally, parameter names ignored, host resources
/// matched against the resource types `f`'s instance bound them to). Defined in the api.
Error CheckFuncType(const Func& f, TypeRef want);

}  // namespace detail

template <typename T>
template <typename F>
Error LinkerInstance<T>::FuncWrap(std::string_view name, F f) {
  auto [type, cb] = detail::MakeTypedHostFunc<T>(std::move(f));
  return FuncNewTyped(name, type, std::move(cb));
}

template <typename T>
template <typename R>
Error LinkerInstance<T>::DefineResource(std::string_view name, void (*dtor)(T&, uint32_t rep)) {
  HostDtor d;
  if (dtor != nullptr) {
    d = [dtor](HostContext*, StoreBase& store, uint32_t rep) {
      dtor(static_cast<Store<T>&>(store).data(), rep);
    };
  }
  return LinkerInstanceBase::DefineResource(name, HostResourceType<R>(), std::move(d));
}

template <typename... P, typename R>
Expected<TypedFunc<std::tuple<P...>, R>> TypedFunc<std::tuple<P...>, R>::Make(Func f) {
  if (f.is_null()) return Error::Make(ErrorCode::kArgument, "TypedFunc::Make: null function");
  Error e = detail::CheckFuncType(f, detail::StaticFuncType<R, P...>());
  if (!e.ok()) return e;
  TypedFunc t;
  t.f_ = f;
  return t;
}

template <typename... P, typename R>
Expected<std::conditional_t<std::is_void_v<R>, std::monostate, R>>
TypedFunc<std::tuple<P...>, R>::Call(StoreBase& store, const P&... params) const {
  // A fixed array: typed calls allocate no argument vector.
  Val in[sizeof...(P) + 1] = {ValTraits<P>::ToVal(params)...};
  std::vector<Val> out;
  Error e = f_.Call(store, std::span<const Val>(in, sizeof...(P)), out);
  if (!e.ok()) return e;
  if constexpr (std::is_void_v<R>) {
    return std::monostate{};
  } else {
    if (out.empty()) return Error::Make(ErrorCode::kInternal, "typed call returned no result");
    return ValTraits<R>::FromVal(out[0]);
  }
}

}  // namespace weft::component

// --- Helper macros for user types --------------------------------------------------------------
// Use at global namespace scope, after the type's definition.

#define WEFT_CM_EXPAND_(x) x
#define WEFT_CM_FE1_(M, S, x) M(S, x)
#define WEFT_CM_FE2_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE1_(M, S, __VA_ARGS__))
#define WEFT_CM_FE3_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE2_(M, S, __VA_ARGS__))
#define WEFT_CM_FE4_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE3_(M, S, __VA_ARGS__))
#define WEFT_CM_FE5_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE4_(M, S, __VA_ARGS__))
#define WEFT_CM_FE6_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE5_(M, S, __VA_ARGS__))
#define WEFT_CM_FE7_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE6_(M, S, __VA_ARGS__))
#define WEFT_CM_FE8_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE7_(M, S, __VA_ARGS__))
#define WEFT_CM_FE9_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE8_(M, S, __VA_ARGS__))
#define WEFT_CM_FE10_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE9_(M, S, __VA_ARGS__))
#define WEFT_CM_FE11_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE10_(M, S, __VA_ARGS__))
#define WEFT_CM_FE12_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE11_(M, S, __VA_ARGS__))
#define WEFT_CM_FE13_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE12_(M, S, __VA_ARGS__))
#define WEFT_CM_FE14_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE13_(M, S, __VA_ARGS__))
#define WEFT_CM_FE15_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE14_(M, S, __VA_ARGS__))
#define WEFT_CM_FE16_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE15_(M, S, __VA_ARGS__))
#define WEFT_CM_FE17_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE16_(M, S, __VA_ARGS__))
#define WEFT_CM_FE18_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE17_(M, S, __VA_ARGS__))
#define WEFT_CM_FE19_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE18_(M, S, __VA_ARGS__))
#define WEFT_CM_FE20_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE19_(M, S, __VA_ARGS__))
#define WEFT_CM_FE21_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE20_(M, S, __VA_ARGS__))
#define WEFT_CM_FE22_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE21_(M, S, __VA_ARGS__))
#define WEFT_CM_FE23_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE22_(M, S, __VA_ARGS__))
#define WEFT_CM_FE24_(M, S, x, ...) M(S, x) WEFT_CM_EXPAND_(WEFT_CM_FE23_(M, S, __VA_ARGS__))
#define WEFT_CM_PICK_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16,  \
                      _17, _18, _19, _20, _21, _22, _23, _24, NAME, ...)                     \
  NAME
/// Applies M(S, x) to each of up to 24 arguments x.
#define WEFT_CM_FOR_EACH_(M, S, ...)                                                          \
  WEFT_CM_EXPAND_(WEFT_CM_PICK_(__VA_ARGS__, WEFT_CM_FE24_, WEFT_CM_FE23_, WEFT_CM_FE22_,     \
                                WEFT_CM_FE21_, WEFT_CM_FE20_, WEFT_CM_FE19_, WEFT_CM_FE18_,   \
                                WEFT_CM_FE17_, WEFT_CM_FE16_, WEFT_CM_FE15_, WEFT_CM_FE14_,   \
                                WEFT_CM_FE13_, WEFT_CM_FE12_, WEFT_CM_FE11_, WEFT_CM_FE10_,   \
                                WEFT_CM_FE9_, WEFT_CM_FE8_, WEFT_CM_FE7_, WEFT_CM_FE6_,       \
                                WEFT_CM_FE5_, WEFT_CM_FE4_, WEFT_CM_FE3_, WEFT_CM_FE2_,       \
                                WEFT_CM_FE1_)(M, S, __VA_ARGS__))
#define WEFT_CM_RECORD_FIELD_(S, x) visit(#x, &S::x);

/// Maps aggregate struct `Struct` (default-constructible) to a WIT record whose fields are
/// the listed members, in the order listed, named by the member names with '_' → '-':
///   struct Point { int32_t x; int32_t y_pos; };  WEFT_COMPONENT_RECORD(Point, x, y_pos)
/// gives record { x: s32, y-pos: s32 }. Up to 24 fields.
#define WEFT_COMPONENT_RECORD(Struct, ...)                                                    \
  template <>                                                                                 \
  struct weft::component::ValTraits<Struct> {                                                 \
    template <typename V>                                                                     \
    static void Fields(V&& visit) {                                                           \
      WEFT_CM_FOR_EACH_(WEFT_CM_RECORD_FIELD_, Struct, __VA_ARGS__)                           \
    }                                                                                         \
    static ::weft::component::TypeRef Type() {                                                \
      static const ::weft::component::TypeRef t = [] {                                        \
        auto* n = ::weft::component::NewStaticType(::weft::component::TypeKind::kRecord);     \
        Fields([&](const char* name, auto member) {                                           \
          using M = typename ::weft::component::detail::MemberType<decltype(member)>::type;   \
          n->fields.push_back(::weft::component::NamedType{                                   \
              ::weft::component::detail::KebabName(name),                                     \
              ::weft::component::ValTraits<M>::Type()});                                      \
        });                                                                                   \
        return n;                                                                             \
      }();                                                                                    \
      return t;                                                                               \
    }                                                                                         \
    static ::weft::component::Val ToVal(const Struct& s) {                                    \
      std::vector<::weft::component::Val> items;                                              \
      Fields([&](const char*, auto member) {                                                  \
        using M = typename ::weft::component::detail::MemberType<decltype(member)>::type;     \
        items.push_back(::weft::component::ValTraits<M>::ToVal(s.*member));                   \
      });                                                                                     \
      return ::weft::component::Val::Aggregate(::weft::component::TypeKind::kRecord,         \
                                               std::move(items));                             \
    }                                                                                         \
    static Struct FromVal(const ::weft::component::Val& v) {                                  \
      Struct s{};                                                                             \
      size_t i = 0;                                                                           \
      Fields([&](const char*, auto member) {                                                  \
        using M = typename ::weft::component::detail::MemberType<decltype(member)>::type;     \
        s.*member = ::weft::component::ValTraits<M>::FromVal(v.items.at(i++));                \
      });                                                                                     \
      return s;                                                                               \
    }                                                                                         \
  }

/// Maps enum `Enum` (enumerators 0, 1, 2, ... in order) to a WIT enum with these labels:
///   enum class Color { kRed, kDarkGreen };  WEFT_COMPONENT_ENUM(Color, "red", "dark-green")
#define WEFT_COMPONENT_ENUM(Enum, ...)                                                        \
  template <>                                                                                 \
  struct weft::component::ValTraits<Enum> {                                                   \
    static ::weft::component::TypeRef Type() {                                                \
      static const ::weft::component::TypeRef t = [] {                                        \
        auto* n = ::weft::component::NewStaticType(::weft::component::TypeKind::kEnum);       \
        n->labels = {__VA_ARGS__};                                                            \
        return n;                                                                             \
      }();                                                                                    \
      return t;                                                                               \
    }                                                                                         \
    static ::weft::component::Val ToVal(Enum e) {                                             \
      return ::weft::component::Val::Make(::weft::component::TypeKind::kEnum,                 \
                                          static_cast<uint64_t>(e));                          \
    }                                                                                         \
    static Enum FromVal(const ::weft::component::Val& v) { return static_cast<Enum>(v.bits); } \
  }

namespace weft::component::detail {
template <typename P>
struct MemberType;
template <typename S, typename M>
struct MemberType<M S::*> {
  using type = M;
};
}  // namespace weft::component::detail
