// WIT spelling of component types (TypeToString), structural type equality (TypeEquals) and
// the `weft inspect` view of a component as a WIT world (ComponentToWit).
// Types named by an export/import (`(export "x" (type (eq i)))`) carry that name and print as
// it; anonymous records/variants/enums/flags, which WIT cannot spell, print in a WIT-like
// inline form ("record { a: u32 }"). Recursion is bounded by the validator's type depth cap.
#include <string>
#include <unordered_set>
#include <vector>

#include "component/def.h"
#include "component/names.h"

namespace weft::component {
namespace {

const char* CoreValName(CoreValType t) {
  switch (t) {
    case CoreValType::kI32: return "i32";
    case CoreValType::kI64: return "i64";
    case CoreValType::kF32: return "f32";
    case CoreValType::kF64: return "f64";
    case CoreValType::kV128: return "v128";
    case CoreValType::kFuncRef: return "funcref";
    case CoreValType::kExternRef: return "externref";
  }
  return "?";
}

// Appends WIT text for types. Anonymous types are spelled out in full, which for a hostile
// DAG of types could be huge, so the text of one type is capped at kMaxText characters
// (ending in "...").
constexpr size_t kMaxText = 16384;

struct Printer {
  std::string out;
  bool truncated = false;

  bool Full() {
    if (out.size() <= kMaxText) return false;
    if (!truncated) out += "...";
    truncated = true;
    return true;
  }
  void Params(TypeRef f, bool skip_self) {
    out += "(";
    bool first = true;
    for (size_t i = skip_self ? 1 : 0; i < f->fields.size() && !Full(); ++i) {
      if (!first) out += ", ";
      first = false;
      out += f->fields[i].name;
      out += ": ";
      Type(f->fields[i].type);
    }
    out += ")";
    if (f->result) {
      out += " -> ";
      Type(f->result);
    }
  }
  void Type(TypeRef t) {
    if (Full()) return;
    if (!t) {
      out += "_";
      return;
    }
    if (IsPrimitive(t->kind)) {
      out += TypeKindName(t->kind);
      return;
    }
    switch (t->kind) {
      case TypeKind::kResource: out += t->name.empty() ? "resource" : t->name; return;
      case TypeKind::kFunc:
        out += t->async ? "async func" : "func";
        Params(t, false);
        return;
      case TypeKind::kInstance: out += "instance"; return;
      case TypeKind::kComponent: out += "component"; return;
      case TypeKind::kCoreModule: out += "core module"; return;
      case TypeKind::kCoreFunc:
        out += "core func(";
        for (size_t i = 0; i < t->core_params.size(); ++i) out += (i ? ", " : "") + std::string(CoreValName(t->core_params[i]));
        out += ") -> (";
        for (size_t i = 0; i < t->core_results.size(); ++i) out += (i ? ", " : "") + std::string(CoreValName(t->core_results[i]));
        out += ")";
        return;
      default: break;
    }
    if (!t->name.empty()) {
      out += t->name;
      return;
    }
    Structure(t);
  }
  void Wrap(const char* open, TypeRef inner, const char* close) {
    out += open;
    Type(inner);
    out += close;
  }
  // The structure of a value type, ignoring its own name (for definitions).
  void Structure(TypeRef t) {
    switch (t->kind) {
      case TypeKind::kList: return Wrap("list<", t->elem, ">");
      case TypeKind::kOption: return Wrap("option<", t->elem, ">");
      case TypeKind::kResult:
        if (!t->elem && !t->err) {
          out += "result";
        } else if (!t->err) {
          Wrap("result<", t->elem, ">");
        } else {
          Wrap("result<", t->elem, ", ");
          Wrap("", t->err, ">");
        }
        return;
      case TypeKind::kTuple:
      case TypeKind::kRecord:
      case TypeKind::kVariant: {
        bool tuple = t->kind == TypeKind::kTuple;
        out += tuple ? "tuple<" : t->kind == TypeKind::kRecord ? "record { " : "variant { ";
        for (size_t i = 0; i < t->fields.size() && !Full(); ++i) {
          if (i) out += ", ";
          const NamedType& f = t->fields[i];
          if (tuple) {
            Type(f.type);
          } else if (t->kind == TypeKind::kRecord) {
            out += f.name + ": ";
            Type(f.type);
          } else {
            out += f.name;
            if (f.type) Wrap("(", f.type, ")");
          }
        }
        out += tuple ? ">" : " }";
        return;
      }
      case TypeKind::kEnum:
      case TypeKind::kFlags:
        out += t->kind == TypeKind::kEnum ? "enum { " : "flags { ";
        for (size_t i = 0; i < t->labels.size() && !Full(); ++i) out += (i ? ", " : "") + t->labels[i];
        out += " }";
        return;
      case TypeKind::kOwn: return Type(t->elem);
      case TypeKind::kBorrow: return Wrap("borrow<", t->elem, ">");
      case TypeKind::kStream:
        if (t->elem) return Wrap("stream<", t->elem, ">");
        out += "stream";
        return;
      case TypeKind::kFuture:
        if (t->elem) return Wrap("future<", t->elem, ">");
        out += "future";
        return;
      default: return Type(t);
    }
  }
};

std::string Params(TypeRef f, bool skip_self) {
  Printer p;
  p.Params(f, skip_self);
  return p.out;
}

std::string Structure(TypeRef t) {
  Printer p;
  p.Structure(t);
  return p.out;
}

bool Equals(TypeRef a, TypeRef b, int depth) {
  if (a == b) return true;
  if (!a || !b || depth > 200) return false;
  if (a->kind != b->kind) return false;
  if (IsPrimitive(a->kind)) return true;
  switch (a->kind) {
    case TypeKind::kResource: return false;  // identity only
    case TypeKind::kCoreFunc: return a->core_params == b->core_params && a->core_results == b->core_results;
    case TypeKind::kInstance:
    case TypeKind::kComponent: {
      for (auto [x, y] : {std::pair{&a->imports, &b->imports}, std::pair{&a->exports, &b->exports}}) {
        if (x->size() != y->size()) return false;
        for (size_t i = 0; i < x->size(); ++i) {
          if ((*x)[i].name != (*y)[i].name || (*x)[i].sort != (*y)[i].sort) return false;
          if (!Equals((*x)[i].type, (*y)[i].type, depth + 1)) return false;
        }
      }
      return true;
    }
    case TypeKind::kCoreModule: {
      for (auto [x, y] : {std::pair{&a->core_imports, &b->core_imports}, std::pair{&a->core_exports, &b->core_exports}}) {
        if (x->size() != y->size()) return false;
        for (size_t i = 0; i < x->size(); ++i) {
          if ((*x)[i].module != (*y)[i].module || (*x)[i].name != (*y)[i].name || (*x)[i].kind != (*y)[i].kind) return false;
          if (!Equals((*x)[i].func_type, (*y)[i].func_type, depth + 1)) return false;
        }
      }
      return true;
    }
    default: break;
  }
  if (a->async != b->async || a->labels != b->labels || a->fields.size() != b->fields.size()) return false;
  if (!Equals(a->elem, b->elem, depth + 1) || !Equals(a->err, b->err, depth + 1) ||
      !Equals(a->result, b->result, depth + 1)) {
    return false;
  }
  for (size_t i = 0; i < a->fields.size(); ++i) {
    if (a->fields[i].name != b->fields[i].name) return false;
    if (!Equals(a->fields[i].type, b->fields[i].type, depth + 1)) return false;
  }
  return true;
}

void Line(std::string& out, int indent, const std::string& text) {
  out.append(static_cast<size_t>(indent) * 2, ' ');
  out += text;
  out += '\n';
}

// Which interface (instance import) first exports type node `r`, for `use` lines.
const ExternDesc* ResourceOrigin(const ComponentDef& root, TypeRef r) {
  for (const ExternDesc* d : [&] {
         std::vector<const ExternDesc*> v;
         for (const ImportDef& i : root.imports) v.push_back(&i.desc);
         return v;
       }()) {
    if (d->sort != ExternSort::kInstance) continue;
    for (const ExternDesc& e : d->type->exports) {
      if (e.sort == ExternSort::kType && e.type == r) return d;
    }
  }
  return nullptr;
}

void InterfaceBody(std::string& out, const ComponentDef& root, const ExternDesc& self, int indent) {
  TypeRef it = self.type;
  for (const ExternDesc& e : it->exports) {
    if (e.sort == ExternSort::kType) {
      TypeRef t = e.type;
      const ExternDesc* origin = IsPrimitive(t->kind) ? nullptr : ResourceOrigin(root, t);
      if (origin && origin != &self && origin->name != self.name) {
        std::string what = t->name == e.name || t->name.empty() ? e.name : t->name + " as " + e.name;
        Line(out, indent, "use " + origin->name + ".{" + what + "};");
        continue;
      }
      if (t->kind == TypeKind::kResource && !t->name.empty() && t->name != e.name) {
        Line(out, indent, "type " + e.name + " = " + t->name + ";");  // another name for a resource
        continue;
      }
      if (t->kind == TypeKind::kResource) {
        std::vector<std::string> members;
        for (const ExternDesc& f : it->exports) {
          if (f.sort != ExternSort::kFunc) continue;
          ParsedName p;
          std::string why;
          if (!ParseExternName(f.name, &p, &why) || p.resource != e.name) continue;
          if (p.kind == NameKind::kConstructor) members.insert(members.begin(), "constructor" + Params(f.type, false).substr(0, Params(f.type, false).find(" -> ")) + ";");
          if (p.kind == NameKind::kMethod) members.push_back(std::string(p.label) + ": func" + Params(f.type, true) + ";");
          if (p.kind == NameKind::kStatic) members.push_back(std::string(p.label) + ": static func" + Params(f.type, false) + ";");
        }
        if (members.empty()) {
          Line(out, indent, "resource " + e.name + ";");
        } else {
          Line(out, indent, "resource " + e.name + " {");
          for (const std::string& m : members) Line(out, indent + 1, m);
          Line(out, indent, "}");
        }
        continue;
      }
      std::string def = Structure(t);
      switch (t->kind) {
        case TypeKind::kRecord: case TypeKind::kVariant: case TypeKind::kEnum: case TypeKind::kFlags:
          // "record { a: u32 }" -> "record name { a: u32 }"
          def.insert(def.find(' '), " " + e.name);
          Line(out, indent, def);
          break;
        default:
          Line(out, indent, "type " + e.name + " = " + def + ";");
      }
    } else if (e.sort == ExternSort::kFunc) {
      ParsedName p;
      std::string why;
      if (ParseExternName(e.name, &p, &why) && p.kind != NameKind::kLabel) continue;  // printed in its resource
      Line(out, indent, e.name + ": " + TypeToString(e.type) + ";");
    } else {
      Line(out, indent, "// " + e.name + ": " + TypeToString(e.type));
    }
  }
}

void WorldItem(std::string& out, const ComponentDef& root, const char* dir, const ExternDesc& d, bool verbose) {
  ParsedName p;
  std::string why;
  bool iface = ParseExternName(d.name, &p, &why) && p.kind == NameKind::kInterface;
  switch (d.sort) {
    case ExternSort::kInstance:
      if (iface) {
        Line(out, 1, std::string(dir) + " " + d.name + ";");
      } else {
        Line(out, 1, std::string(dir) + " " + d.name + ": interface {");
        InterfaceBody(out, root, d, 2);
        Line(out, 1, "}");
      }
      return;
    case ExternSort::kFunc:
      Line(out, 1, std::string(dir) + " " + d.name + ": " + TypeToString(d.type) + ";");
      return;
    case ExternSort::kType:
      if (d.type->kind == TypeKind::kResource) {
        Line(out, 1, std::string(dir) + " " + d.name + ": resource;");
      } else {
        Line(out, 1, "type " + d.name + " = " + Structure(d.type) + ";  // " + dir);
      }
      return;
    default:
      Line(out, 1, std::string("// ") + dir + " " + d.name + ": " + TypeToString(d.type));
      return;
  }
  (void)verbose;
}

}  // namespace

std::string TypeToString(TypeRef t) {
  Printer p;
  p.Type(t);
  return p.out;
}

bool TypeEquals(TypeRef a, TypeRef b) { return Equals(a, b, 0); }

std::string ComponentToWit(const ComponentFile& file, bool verbose) {
  const ComponentDef& root = file.root();
  std::string out = "package root:component;\n\nworld root {\n";
  for (const ImportDef& i : root.imports) WorldItem(out, root, "import", i.desc, verbose);
  if (!root.imports.empty() && !root.exports.empty()) out += "\n";
  for (const ExportDef& e : root.exports) WorldItem(out, root, "export", ExternDesc{e.name, [&] {
    switch (e.item.sort) {
      case Sort::kCore: return ExternSort::kCoreModule;
      case Sort::kFunc: return ExternSort::kFunc;
      case Sort::kValue: return ExternSort::kValue;
      case Sort::kType: return ExternSort::kType;
      case Sort::kComponent: return ExternSort::kComponent;
      default: return ExternSort::kInstance;
    }
  }(), e.type}, verbose);
  out += "}\n";
  if (!verbose) return out;
  auto iface = [&](const char* dir, const ExternDesc& d) {
    ParsedName p;
    std::string why;
    if (d.sort != ExternSort::kInstance || !ParseExternName(d.name, &p, &why) || p.kind != NameKind::kInterface) return;
    out += "\n// " + std::string(dir) + "ed\ninterface " + d.name + " {\n";
    InterfaceBody(out, root, d, 1);
    out += "}\n";
  };
  for (const ImportDef& i : root.imports) iface("import", i.desc);
  for (const ExportDef& e : root.exports) {
    if (e.item.sort == Sort::kInstance) iface("export", ExternDesc{e.name, ExternSort::kInstance, e.type});
  }
  return out;
}

}  // namespace weft::component
