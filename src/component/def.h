// The decoded and validated form of a component binary (Binary.md), as the decoder and
// validator produce it and instantiation consumes it. It mirrors the binary grammar: the
// definitions of each component in order, each appending to one index space, with every
// type reference already resolved by the validator to a TypeRef (aliases, `(eq i)` bounds
// and outer aliases followed), so instantiation never re-derives types.
// Invariants after Validate: every index is in range for its index space and sort, types
// match (Explainer/Binary.md validation rules), and all TypeRefs point into `arena`.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "weft/component_types.h"
#include "weft/error.h"

namespace weft::component {

/// core:sort codes (Binary.md).
enum class CoreSort : uint8_t {
  kFunc = 0x00,
  kTable = 0x01,
  kMemory = 0x02,
  kGlobal = 0x03,
  kTag = 0x04,
  kType = 0x10,
  kModule = 0x11,
  kInstance = 0x12,
};

/// sort codes (Binary.md); kCore carries a CoreSort beside it.
enum class Sort : uint8_t { kCore = 0x00, kFunc = 0x01, kValue = 0x02, kType = 0x03, kComponent = 0x04, kInstance = 0x05 };

struct SortIdx {
  Sort sort = Sort::kFunc;
  CoreSort core_sort = CoreSort::kFunc;  ///< when sort == kCore
  uint32_t index = 0;
};

// ---------------------------------------------------------------------------------------------
// Definitions (one per element of a section vector, in binary order).

/// section 1: a core module; `module` indexes ComponentFile::modules.
struct CoreModuleDef {
  uint32_t module = 0;
  TypeRef type = nullptr;  ///< kCoreModule: imports/exports scanned from the module's sections
};

/// section 2: core:instance.
struct CoreInstanceDef {
  bool instantiate = true;  ///< 0x00 instantiate (module + args) vs 0x01 inline exports
  uint32_t module = 0;      ///< core module index space
  struct Arg {
    std::string name;
    uint32_t instance = 0;  ///< core instance index space
  };
  std::vector<Arg> args;
  struct Export {
    std::string name;
    CoreSort sort = CoreSort::kFunc;
    uint32_t index = 0;
  };
  std::vector<Export> exports;
  /// Resolved: a kCoreModule node whose core_exports are this instance's exports (for
  /// instantiate, the module's type).
  TypeRef type = nullptr;
};

/// section 5: instance.
struct InstanceDef {
  bool instantiate = true;  ///< 0x00 instantiate (component + args) vs 0x01 inline exports
  uint32_t component = 0;   ///< component index space
  struct Arg {
    std::string name;
    SortIdx item;
  };
  std::vector<Arg> args;     ///< instantiate: the `with` arguments
  std::vector<Arg> exports;  ///< inline exports
  /// Resolved: the kInstance type (for instantiate: the component's exports with its imported
  /// resources replaced by the arguments' and its own resources fresh for this instance).
  TypeRef type = nullptr;
};

/// section 6: alias. Adds one entry to `sort`'s index space.
struct AliasDef {
  enum class Kind : uint8_t { kExport, kCoreExport, kOuter };
  Kind kind = Kind::kExport;
  SortIdx sort;        ///< the sort aliased (index unused)
  uint32_t instance = 0;  ///< kExport: instance index; kCoreExport: core instance index
  std::string name;       ///< kExport/kCoreExport
  uint32_t outer_count = 0, outer_index = 0;  ///< kOuter
  /// Resolved by the validator: for type aliases (and outer aliases of core types) the type;
  /// for outer aliases of core modules/components the ComponentFile-wide id
  /// (modules[] / components[] index) of the definition aliased.
  /// Export aliases of any sort also resolve `type` to the aliased item's type (func,
  /// instance, component, core module type; core funcs: the kCoreFunc type, null if unknown;
  /// core tables/memories/globals/tags: null).
  TypeRef type = nullptr;
  uint32_t outer_target = 0;
};

/// section 3 (core:type) and 7 (type): a type definition; the validator resolved it.
struct TypeDefn {
  bool core = false;
  TypeRef type = nullptr;
};

/// section 8: canon.
struct CanonDef {
  enum class Kind : uint8_t {
    kLift,
    kLower,
    kResourceNew,
    kResourceDrop,
    kResourceRep,
    kOther,  ///< async/thread/error-context built-ins: decoded (opcode kept) and refused at
             ///< instantiation with "unsupported canonical built-in" until implemented
  };
  enum class StringEncoding : uint8_t { kUtf8, kUtf16, kLatin1Utf16 };
  Kind kind = Kind::kLift;
  uint8_t opcode = 0;
  uint32_t func = 0;  ///< kLift: core func index; kLower: component func index
  StringEncoding encoding = StringEncoding::kUtf8;
  int64_t memory = -1;       ///< core memory index or -1
  int64_t realloc = -1;      ///< core func index or -1
  int64_t post_return = -1;  ///< core func index or -1
  bool async = false;
  int64_t callback = -1;
  /// Resolved: kLift: the component func type; kLower: the lowered func's type;
  /// kResource*: the kResource type.
  TypeRef type = nullptr;
};

/// section 10: import. `desc.type` is resolved (for kType: the bound type; for `(sub
/// resource)` a fresh abstract kResource node).
/// Naming: a value type imported or exported as a type (`(eq i)`) is a copy of the type node
/// whose `name` is the extern name (so WIT printing can say `stream-error`); compare value
/// types with TypeEquals, never by pointer. Resources are never copied: identity is the node.
struct ImportDef {
  ExternDesc desc;
};

/// section 11: export.
struct ExportDef {
  std::string name;
  SortIdx item;
  /// The optional externtype, as written (a `(sub resource)` ascription is a fresh node that
  /// is bound to the item, not the item's resource); may be null. Prefer `type`.
  TypeRef ascribed = nullptr;
  /// Resolved type of the exported item (func/instance/component type, or the type
  /// exported for kType); for kType exports of resources this is the resource node. With an
  /// ascription it is the ascribed type with its resources resolved to the item's.
  TypeRef type = nullptr;
};

/// section 9: start (🪙 value definitions are refused by the validator).
struct StartDef {
  uint32_t func = 0;
  std::vector<uint32_t> args;
  uint32_t results = 0;
};

/// One definition in binary order. Exactly one pointer-like member is meaningful, chosen by
/// `kind`; `index` is its position in the owning ComponentDef vector of that kind.
struct Definition {
  enum class Kind : uint8_t {
    kCoreModule,
    kCoreInstance,
    kCoreType,
    kComponent,
    kInstance,
    kAlias,
    kType,
    kCanon,
    kStart,
    kImport,
    kExport,
  };
  Kind kind;
  uint32_t index;
  uint64_t offset;  ///< byte offset in the file, for messages
};

/// Debug names from the optional `component-name` custom section (Binary.md "Name Section").
/// Never validated: a malformed section is ignored (names stay as decoded so far).
struct ComponentNames {
  std::string component;  ///< the component's own name, or empty
  struct Entry {
    SortIdx item;  ///< the sort and the index named
    std::string name;
  };
  std::vector<Entry> entries;  ///< in section order
};

/// One component (the root or a nested one). Index spaces are implicit: instantiation
/// replays `defs` in order, appending to each sort's space as the binary does.
struct ComponentDef {
  std::vector<Definition> defs;
  std::vector<CoreModuleDef> core_modules;
  std::vector<CoreInstanceDef> core_instances;
  std::vector<uint32_t> components;  ///< kComponent defs: ComponentFile::components ids
  std::vector<InstanceDef> instances;
  std::vector<AliasDef> aliases;
  std::vector<TypeDefn> types;  ///< both core (section 3) and component (section 7)
  std::vector<CanonDef> canons;
  std::vector<StartDef> starts;
  std::vector<ImportDef> imports;
  std::vector<ExportDef> exports;
  /// The component's own type (imports and exports as ExternDescs), for linking, `weft
  /// inspect` and nested instantiation checks.
  TypeRef type = nullptr;
  uint32_t parent = UINT32_MAX;  ///< enclosing component's id, UINT32_MAX for the root
  ComponentNames names;          ///< from the `component-name` section, if any
};

/// A whole component binary: the root (components[0]), nested components, and every core
/// module's byte range. Owns the type arena. Immutable after Validate; shared by threads.
struct ComponentFile {
  std::vector<uint8_t> bytes;  ///< the binary (core modules are spans of it)
  struct ModuleRange {
    uint64_t offset = 0;
    uint64_t size = 0;
  };
  std::vector<ModuleRange> modules;
  std::vector<std::unique_ptr<ComponentDef>> components;  ///< [0] = root
  TypeArena arena;
  std::span<const uint8_t> ModuleBytes(uint32_t m) const {
    return std::span<const uint8_t>(bytes).subspan(modules[m].offset, modules[m].size);
  }
  const ComponentDef& root() const { return *components[0]; }
};

/// True if `bytes` starts with the component preamble (magic, version 0x0d, layer 1).
bool IsComponent(std::span<const uint8_t> bytes);
/// True if `bytes` starts with the core module preamble (magic, version 1, layer 0).
bool IsCoreModule(std::span<const uint8_t> bytes);

/// Decodes and validates a component binary. Errors (kMalformed / kInvalid) carry the byte
/// offset and the rule broken ("malformed component: unknown section id 0x0f at offset 123",
/// "invalid component: type index 7 out of bounds at offset 456"). Core modules inside are
/// only framed here (their own decoding/validation is the core engine's job, done by the
/// caller: weft::Module::Compile).
Expected<std::unique_ptr<ComponentFile>> DecodeComponent(std::span<const uint8_t> bytes);

/// The component's imports and exports as WIT text (`weft inspect`): a `world` with one
/// `import`/`export` line per extern; instance externs named `ns:pkg/iface@ver` print as
/// `import ns:pkg/iface@ver;` followed (with `verbose`) by the interface's functions and
/// types; plain-named functions print as `import name: func(...)`.
std::string ComponentToWit(const ComponentFile& file, bool verbose);

}  // namespace weft::component
