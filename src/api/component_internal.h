// Internals shared by the component API files (src/api/component*.cc): structural type
// matching with resource identities supplied by the caller (link-time checks of typed host
// functions, TypedFunc::Make), and the run-time objects behind component::Func/Instance.
#pragma once

#include <functional>

#include "weft/component.h"

namespace weft::component::api {

/// Decides whether two kResource nodes denote the same resource type in context (for
/// example a host node from HostResourceNode and an abstract import the linker bound).
using SameResource = std::function<bool(TypeRef want, TypeRef have)>;

/// Structural equality of value/func types: parameter names ignored, record field, case,
/// enum and flag labels compared, resources through `same_resource` (identity if empty).
/// On mismatch returns false and, when `why` is set, a short reason.
bool TypesMatch(TypeRef want, TypeRef have, const SameResource& same_resource,
                std::string* why = nullptr);

}  // namespace weft::component::api
