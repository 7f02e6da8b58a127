// Component import/export names (Explainer.md "Import and Export Definitions"): parsing of
// `externname` (plain names with [constructor]/[method]/[static] annotations, and interface
// names `ns:pkg/iface@1.2.3`), and the canonical form used for the strongly-unique rule.
// Pure functions over string views; no allocation except the returned key.
#pragma once

#include <string>
#include <string_view>

namespace weft::component {

/// What an externname is.
enum class NameKind : uint8_t { kLabel, kConstructor, kMethod, kStatic, kInterface };

/// A parsed externname. Views point into the parsed string.
struct ParsedName {
  NameKind kind = NameKind::kLabel;
  std::string_view resource;  ///< [constructor]r / [method]r.m / [static]r.m: "r"
  std::string_view label;     ///< plain label, or the method/static function label
  std::string_view package;   ///< interface names: "ns:pkg" (nested namespaces kept)
  std::string_view interface;  ///< interface names: "iface" (last projection)
  std::string_view version;    ///< interface names: "1.2.3" or empty
};

/// True for a WIT `label` (kebab-case words or ACRONYMS: "get-stdout", "IPv4" is not one).
bool IsLabel(std::string_view s);

/// Parses `name` as an externname; on failure returns false and says why in `*why`.
bool ParseExternName(std::string_view name, ParsedName* out, std::string* why);

/// The canonical form of a name for the strongly-unique rule: lowercased, `[method]l.l` and
/// `[static]l.l` become `l`, other annotations except `[constructor]` are stripped.
std::string StronglyUniqueKey(std::string_view name);

}  // namespace weft::component
