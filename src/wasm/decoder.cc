// The WebAssembly 2.0 binary decoder (spec section 5.5): header, sections in order, every
// section's entries, constant expressions, and the name section (leniently). Function bodies
// are only delimited (offset and size); the code validator reads them later, lazily.
// Each section is read through a Reader bounded to the section, so no entry can read past
// its section, and every loop consumes at least one byte per iteration (bounded by input size).
#include "wasm/decoder.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "wasm/reader.h"

namespace weft::wasm {
namespace {

enum SectionId : uint8_t {
  kCustomId = 0,
  kTypeId = 1,
  kImportId = 2,
  kFunctionId = 3,
  kTableId = 4,
  kMemoryId = 5,
  kGlobalId = 6,
  kExportId = 7,
  kStartId = 8,
  kElemId = 9,
  kCodeId = 10,
  kDataId = 11,
  kDataCountId = 12,
};

// Position of each non-custom section in the required order; DataCount (12) comes between
// Element (9) and Code (10).
constexpr int kSectionRank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};

// Whether `op` is a single-byte (or prefix) opcode of WebAssembly 2.0. Constant expressions
// use it to tell a real but non-constant instruction ("constant expression required", an
// invalid module) from a byte that is no instruction at all ("illegal opcode", malformed).
bool IsKnownOpcode(uint8_t op) {
  if (op <= 0x05) return true;                // unreachable nop block loop if else
  if (op >= 0x0b && op <= 0x11) return true;  // end br br_if br_table return call call_indirect
  if (op >= 0x1a && op <= 0x1c) return true;  // drop select select t*
  if (op >= 0x20 && op <= 0x26) return true;  // local.*, global.*, table.get/set
  if (op >= 0x28 && op <= 0xc4) return true;  // memory, numeric, sign extension
  if (op >= 0xd0 && op <= 0xd2) return true;  // ref.null ref.is_null ref.func
  return op == 0xfc || op == 0xfd;            // misc and SIMD prefixes
}

class Decoder {
 public:
  explicit Decoder(Module& module) : m_(module) {}

  Error Run();

 private:
  // Section bodies. Each returns false on failure with the error recorded in `r` (or, for an
  // invalid constant expression, in invalid_).
  bool DecodeCustom(Reader& r);
  bool DecodeTypes(Reader& r);
  bool DecodeImports(Reader& r);
  bool DecodeFunctions(Reader& r);
  bool DecodeTables(Reader& r);
  bool DecodeMemories(Reader& r);
  bool DecodeGlobals(Reader& r);
  bool DecodeExports(Reader& r);
  bool DecodeStart(Reader& r);
  bool DecodeElems(Reader& r);
  bool DecodeCode(Reader& r);
  bool DecodeData(Reader& r);
  bool DecodeDataCount(Reader& r);
  void DecodeNames(std::span<const uint8_t> payload, uint64_t base);
  bool DecodeSection(uint8_t id, Reader& r);

  bool ReadValType(Reader& r, ValType* out);
  bool ReadRefType(Reader& r, ValType* out);
  bool ReadLimits(Reader& r, Limits* out);
  bool ReadTableType(Reader& r, TableType* out);
  bool ReadGlobalType(Reader& r, GlobalType* out);
  bool ReadConstExpr(Reader& r, ConstExpr* out);
  bool ReadCount(Reader& r, uint32_t* out) { return r.ReadVarU32(out); }

  bool FailInvalid(Reader& r, uint64_t offset, std::string_view message) {
    if (invalid_.ok()) invalid_ = Error::Make(ErrorCode::kInvalid, std::string(message), offset);
    return r.FailAt(offset, message);
  }

  void FillDerived();

  Module& m_;
  Error invalid_;
  bool have_code_ = false;
  uint64_t code_section_offset_ = 0;
  uint64_t data_section_offset_ = 0;
};

// Reserve no more than the remaining bytes could describe, so a huge declared count in a
// tiny (malformed) section cannot allocate gigabytes before the reads fail.
template <typename V>
void ReserveBounded(V& v, uint32_t count, const Reader& r) {
  v.reserve(std::min<size_t>(count, r.remaining()));
}

bool Decoder::ReadValType(Reader& r, ValType* out) {
  uint8_t b;
  if (!r.ReadU8(&b)) return false;
  switch (b) {
    case 0x7f: case 0x7e: case 0x7d: case 0x7c: case 0x7b: case 0x70: case 0x6f:
      *out = static_cast<ValType>(b);
      return true;
    default:
      return r.FailAt(r.offset() - 1, "malformed value type");
  }
}

bool Decoder::ReadRefType(Reader& r, ValType* out) {
  uint8_t b;
  if (!r.ReadU8(&b)) return false;
  if (b != 0x70 && b != 0x6f) return r.FailAt(r.offset() - 1, "malformed reference type");
  *out = static_cast<ValType>(b);
  return true;
}

bool Decoder::ReadLimits(Reader& r, Limits* out) {
  // The flag is read like a 1-bit LEB128, which is how the spec suite words its errors.
  uint8_t flag;
  if (!r.ReadU8(&flag)) return false;
  if (flag & 0x80) return r.FailAt(r.offset() - 1, "integer representation too long");
  if (flag > 1) return r.FailAt(r.offset() - 1, "integer too large");
  uint32_t min;
  if (!r.ReadVarU32(&min)) return false;
  out->min = min;
  out->max.reset();
  if (flag == 1) {
    uint32_t max;
    if (!r.ReadVarU32(&max)) return false;
    out->max = max;
  }
  return true;
}

bool Decoder::ReadTableType(Reader& r, TableType* out) {
  return ReadRefType(r, &out->elem) && ReadLimits(r, &out->limits);
}

bool Decoder::ReadGlobalType(Reader& r, GlobalType* out) {
  if (!ReadValType(r, &out->type)) return false;
  uint8_t mut;
  if (!r.ReadU8(&mut)) return false;
  if (mut > 1) return r.FailAt(r.offset() - 1, "malformed mutability");
  out->mut = mut == 1;
  return true;
}

bool Decoder::ReadConstExpr(Reader& r, ConstExpr* out) {
  const uint64_t start = r.offset();
  *out = ConstExpr{};
  out->offset = static_cast<uint32_t>(start);
  int count = 0;
  for (;;) {
    uint8_t op;
    if (!r.ReadU8(&op)) return false;
    if (op == 0x0b) break;
    ConstExpr e;
    e.offset = static_cast<uint32_t>(r.offset() - 1);
    switch (op) {
      case 0x41: {
        int32_t v;
        if (!r.ReadVarS32(&v)) return false;
        e.kind = ConstExpr::Kind::kI32;
        e.bits = static_cast<uint32_t>(v);
        break;
      }
      case 0x42: {
        int64_t v;
        if (!r.ReadVarS64(&v)) return false;
        e.kind = ConstExpr::Kind::kI64;
        e.bits = static_cast<uint64_t>(v);
        break;
      }
      case 0x43: {
        uint32_t v;
        if (!r.ReadF32Bits(&v)) return false;
        e.kind = ConstExpr::Kind::kF32;
        e.bits = v;
        break;
      }
      case 0x44: {
        if (!r.ReadF64Bits(&e.bits)) return false;
        e.kind = ConstExpr::Kind::kF64;
        break;
      }
      case 0xd0: {
        if (!ReadRefType(r, &e.ref_type)) return false;
        e.kind = ConstExpr::Kind::kRefNull;
        break;
      }
      case 0xd2: {
        if (!r.ReadVarU32(&e.index)) return false;
        e.kind = ConstExpr::Kind::kRefFunc;
        break;
      }
      case 0x23: {
        if (!r.ReadVarU32(&e.index)) return false;
        e.kind = ConstExpr::Kind::kGlobalGet;
        break;
      }
      case 0xfd: {
        uint32_t sub;
        if (!r.ReadVarU32(&sub)) return false;
        if (sub != 0x0c) return FailInvalid(r, e.offset, "constant expression required");
        if (!r.ReadV128(&e.bits, &e.bits_hi)) return false;
        e.kind = ConstExpr::Kind::kV128;
        break;
      }
      default:
        if (IsKnownOpcode(op)) return FailInvalid(r, e.offset, "constant expression required");
        return r.FailAt(e.offset, "illegal opcode");
    }
    if (count == 0) *out = e;
    ++count;
  }
  // An empty expression or several values leave the wrong number of operands: in the
  // specification's terms that is a type error, not a constness one.
  if (count != 1) return FailInvalid(r, start, "type mismatch");
  return true;
}

bool Decoder::DecodeCustom(Reader& r) {
  std::string_view name;
  if (!r.ReadName(&name)) return false;
  CustomSection c;
  c.name = std::string(name);
  c.data_offset = static_cast<uint32_t>(r.offset());
  c.data_size = static_cast<uint32_t>(r.remaining());
  if (c.name == "name") DecodeNames(r.rest(), r.offset());
  m_.customs.push_back(std::move(c));
  return r.Skip(r.remaining());
}

// The name section (spec appendix 7.4) is advisory: a malformed one is ignored, never an
// error, and whatever was read from it is dropped so that names are all-or-nothing.
void Decoder::DecodeNames(std::span<const uint8_t> payload, uint64_t base) {
  Reader r(payload, base);
  std::string module_name;
  std::unordered_map<uint32_t, std::string> func_names;
  bool ok = true;
  while (ok && !r.at_end()) {
    uint8_t id;
    uint32_t size;
    std::span<const uint8_t> sub;
    if (!r.ReadU8(&id) || !r.ReadVarU32(&size) || !r.ReadBytes(size, &sub)) {
      ok = false;
      break;
    }
    Reader s(sub, r.offset() - size);
    if (id == 0) {
      std::string_view n;
      ok = s.ReadName(&n) && s.at_end();
      if (ok) module_name = std::string(n);
    } else if (id == 1) {
      uint32_t count;
      ok = s.ReadVarU32(&count);
      for (uint32_t i = 0; ok && i < count; ++i) {
        uint32_t index;
        std::string_view n;
        ok = s.ReadVarU32(&index) && s.ReadName(&n);
        if (ok) func_names[index] = std::string(n);
      }
      ok = ok && s.at_end();
    }
  }
  if (!ok) return;
  m_.module_name = std::move(module_name);
  m_.func_names = std::move(func_names);
}

bool Decoder::DecodeTypes(Reader& r) {
  uint32_t count;
  if (!ReadCount(r, &count)) return false;
  ReserveBounded(m_.types, count, r);
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t form;
    if (!r.ReadU8(&form)) return false;
    if (form & 0x80) return r.FailAt(r.offset() - 1, "integer representation too long");
    if (form != 0x60) return r.FailAt(r.offset() - 1, "malformed function type");
    FuncType t;
    uint32_t n;
    if (!ReadCount(r, &n)) return false;
    ReserveBounded(t.params, n, r);
    for (uint32_t k = 0; k < n; ++k) {
      ValType v;
      if (!ReadValType(r, &v)) return false;
      t.params.push_back(v);
    }
    if (!ReadCount(r, &n)) return false;
    ReserveBounded(t.results, n, r);
    for (uint32_t k = 0; k < n; ++k) {
      ValType v;
      if (!ReadValType(r, &v)) return false;
      t.results.push_back(v);
    }
    m_.types.push_back(std::move(t));
  }
  return true;
}

bool Decoder::DecodeImports(Reader& r) {
  uint32_t count;
  if (!ReadCount(r, &count)) return false;
  ReserveBounded(m_.imports, count, r);
  for (uint32_t i = 0; i < count; ++i) {
    Import imp;
    std::string_view module, name;
    if (!r.ReadName(&module) || !r.ReadName(&name)) return false;
    imp.module = std::string(module);
    imp.name = std::string(name);
    uint8_t kind;
    if (!r.ReadU8(&kind)) return false;
    switch (kind) {
      case 0:
        imp.kind = ExternKind::kFunc;
        if (!r.ReadVarU32(&imp.type_index)) return false;
        break;
      case 1:
        imp.kind = ExternKind::kTable;
        if (!ReadTableType(r, &imp.table)) return false;
        break;
      case 2:
        imp.kind = ExternKind::kMemory;
        if (!ReadLimits(r, &imp.memory.limits)) return false;
        break;
      case 3:
        imp.kind = ExternKind::kGlobal;
        if (!ReadGlobalType(r, &imp.global)) return false;
        break;
      default:
        return r.FailAt(r.offset() - 1, "malformed import kind");
    }
    m_.imports.push_back(std::move(imp));
  }
  return true;
}

bool Decoder::DecodeFunctions(Reader& r) {
  uint32_t count;
  if (!ReadCount(r, &count)) return false;
  ReserveBounded(m_.functions, count, r);
  for (uint32_t i = 0; i < count; ++i) {
    Function f;
    if (!r.ReadVarU32(&f.type_index)) return false;
    m_.functions.push_back(f);
  }
  return true;
}

bool Decoder::DecodeTables(Reader& r) {
  uint32_t count;
  if (!ReadCount(r, &count)) return false;
  ReserveBounded(m_.tables, count, r);
  for (uint32_t i = 0; i < count; ++i) {
    TableType t;
    if (!ReadTableType(r, &t)) return false;
    m_.tables.push_back(t);
  }
  return true;
}

bool Decoder::DecodeMemories(Reader& r) {
  uint32_t count;
  if (!ReadCount(r, &count)) return false;
  ReserveBounded(m_.memories, count, r);
  for (uint32_t i = 0; i < count; ++i) {
    MemoryType t;
    if (!ReadLimits(r, &t.limits)) return false;
    m_.memories.push_back(t);
  }
  return true;
}

bool Decoder::DecodeGlobals(Reader& r) {
  uint32_t count;
  if (!ReadCount(r, &count)) return false;
  ReserveBounded(m_.globals, count, r);
  for (uint32_t i = 0; i < count; ++i) {
    Global g;
    if (!ReadGlobalType(r, &g.type) || !ReadConstExpr(r, &g.init)) return false;
    m_.globals.push_back(g);
  }
  return true;
}

bool Decoder::DecodeExports(Reader& r) {
  uint32_t count;
  if (!ReadCount(r, &count)) return false;
  ReserveBounded(m_.exports, count, r);
  for (uint32_t i = 0; i < count; ++i) {
    Export e;
    std::string_view name;
    if (!r.ReadName(&name)) return false;
    e.name = std::string(name);
    uint8_t kind;
    if (!r.ReadU8(&kind)) return false;
    if (kind > 3) return r.FailAt(r.offset() - 1, "malformed export kind");
    e.kind = static_cast<ExternKind>(kind);
    if (!r.ReadVarU32(&e.index)) return false;
    m_.exports.push_back(std::move(e));
  }
  return true;
}

bool Decoder::DecodeStart(Reader& r) {
  uint32_t index;
  if (!r.ReadVarU32(&index)) return false;
  m_.start = index;
  return true;
}

bool Decoder::DecodeElems(Reader& r) {
  uint32_t count;
  if (!ReadCount(r, &count)) return false;
  ReserveBounded(m_.elems, count, r);
  for (uint32_t i = 0; i < count; ++i) {
    ElemSegment seg;
    uint32_t flags;
    const uint64_t flags_offset = r.offset();
    if (!r.ReadVarU32(&flags)) return false;
    if (flags > 7) return r.FailAt(flags_offset, "malformed elements segment kind");
    // Bit 0: passive or declarative (else active); bit 1: explicit table index (active) or
    // declarative (non-active); bit 2: items are expressions (else function indices).
    const bool non_active = flags & 1;
    const bool bit1 = flags & 2;
    const bool exprs = flags & 4;
    if (non_active) {
      seg.mode = bit1 ? ElemSegment::Mode::kDeclarative : ElemSegment::Mode::kPassive;
    } else {
      seg.mode = ElemSegment::Mode::kActive;
      if (bit1 && !r.ReadVarU32(&seg.table_index)) return false;
      if (!ReadConstExpr(r, &seg.offset)) return false;
    }
    // Flags 0 and 4 imply funcref; the others state an element kind or a reference type.
    if (non_active || bit1) {
      if (exprs) {
        if (!ReadRefType(r, &seg.type)) return false;
      } else {
        uint8_t elemkind;
        if (!r.ReadU8(&elemkind)) return false;
        if (elemkind != 0) return r.FailAt(r.offset() - 1, "malformed element kind");
        seg.type = ValType::kFuncRef;
      }
    }
    uint32_t n;
    if (!ReadCount(r, &n)) return false;
    ReserveBounded(seg.items, n, r);
    for (uint32_t k = 0; k < n; ++k) {
      ConstExpr item;
      if (exprs) {
        if (!ReadConstExpr(r, &item)) return false;
      } else {
        item.kind = ConstExpr::Kind::kRefFunc;
        item.offset = static_cast<uint32_t>(r.offset());
        if (!r.ReadVarU32(&item.index)) return false;
      }
      seg.items.push_back(item);
    }
    m_.elems.push_back(std::move(seg));
  }
  return true;
}

bool Decoder::DecodeCode(Reader& r) {
  have_code_ = true;
  code_section_offset_ = r.offset();
  uint32_t count;
  if (!ReadCount(r, &count)) return false;
  if (count != m_.functions.size()) {
    return r.FailAt(code_section_offset_, "function and code section have inconsistent lengths");
  }
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t size;
    if (!r.ReadVarU32(&size)) return false;
    const uint64_t body_offset = r.offset();
    if (!r.Skip(size)) return false;
    m_.functions[i].body_offset = static_cast<uint32_t>(body_offset);
    m_.functions[i].body_size = size;
  }
  return true;
}

bool Decoder::DecodeData(Reader& r) {
  data_section_offset_ = r.offset();
  uint32_t count;
  if (!ReadCount(r, &count)) return false;
  ReserveBounded(m_.datas, count, r);
  for (uint32_t i = 0; i < count; ++i) {
    DataSegment seg;
    uint32_t flags;
    const uint64_t flags_offset = r.offset();
    if (!r.ReadVarU32(&flags)) return false;
    switch (flags) {
      case 0:
        seg.mode = DataSegment::Mode::kActive;
        if (!ReadConstExpr(r, &seg.offset)) return false;
        break;
      case 1:
        seg.mode = DataSegment::Mode::kPassive;
        break;
      case 2:
        seg.mode = DataSegment::Mode::kActive;
        if (!r.ReadVarU32(&seg.memory_index) || !ReadConstExpr(r, &seg.offset)) return false;
        break;
      default:
        return r.FailAt(flags_offset, "malformed data segment kind");
    }
    uint32_t size;
    if (!r.ReadVarU32(&size)) return false;
    seg.data_offset = static_cast<uint32_t>(r.offset());
    seg.data_size = size;
    if (!r.Skip(size)) return false;
    m_.datas.push_back(seg);
  }
  return true;
}

bool Decoder::DecodeDataCount(Reader& r) {
  uint32_t n;
  if (!r.ReadVarU32(&n)) return false;
  m_.data_count = n;
  return true;
}

bool Decoder::DecodeSection(uint8_t id, Reader& r) {
  switch (id) {
    case kCustomId: return DecodeCustom(r);
    case kTypeId: return DecodeTypes(r);
    case kImportId: return DecodeImports(r);
    case kFunctionId: return DecodeFunctions(r);
    case kTableId: return DecodeTables(r);
    case kMemoryId: return DecodeMemories(r);
    case kGlobalId: return DecodeGlobals(r);
    case kExportId: return DecodeExports(r);
    case kStartId: return DecodeStart(r);
    case kElemId: return DecodeElems(r);
    case kCodeId: return DecodeCode(r);
    case kDataId: return DecodeData(r);
    case kDataCountId: return DecodeDataCount(r);
    default: return r.Fail("malformed section id");
  }
}

void Decoder::FillDerived() {
  Module& m = m_;
  for (const Import& imp : m.imports) {
    switch (imp.kind) {
      case ExternKind::kFunc:
        m.func_type_indices.push_back(imp.type_index);
        ++m.num_imported_funcs;
        break;
      case ExternKind::kTable:
        m.all_tables.push_back(imp.table);
        ++m.num_imported_tables;
        break;
      case ExternKind::kMemory:
        m.all_memories.push_back(imp.memory);
        ++m.num_imported_memories;
        break;
      case ExternKind::kGlobal:
        m.all_globals.push_back(imp.global);
        ++m.num_imported_globals;
        break;
    }
  }
  for (const Function& f : m.functions) m.func_type_indices.push_back(f.type_index);
  m.all_tables.insert(m.all_tables.end(), m.tables.begin(), m.tables.end());
  m.all_memories.insert(m.all_memories.end(), m.memories.begin(), m.memories.end());
  for (const Global& g : m.globals) m.all_globals.push_back(g.type);

  // C.refs: function indices mentioned outside function bodies and the start section.
  const uint32_t n = m.num_funcs();
  m.declared_funcs.assign(n, false);
  auto mark = [&](const ConstExpr& e) {
    if (e.kind == ConstExpr::Kind::kRefFunc && e.index < n) m.declared_funcs[e.index] = true;
  };
  for (const ElemSegment& seg : m.elems) {
    for (const ConstExpr& e : seg.items) mark(e);
  }
  for (const Global& g : m.globals) mark(g.init);
  for (const Export& e : m.exports) {
    if (e.kind == ExternKind::kFunc && e.index < n) m.declared_funcs[e.index] = true;
  }
}

Error Decoder::Run() {
  std::span<const uint8_t> bytes(m_.bytes);
  if (bytes.size() > std::numeric_limits<uint32_t>::max()) {
    return Error::Make(ErrorCode::kLimit, "module larger than 4 GiB");
  }
  Reader r(bytes);
  uint32_t magic, version;
  if (!r.ReadF32Bits(&magic)) return r.TakeError();
  if (magic != 0x6d736100) return Error::Make(ErrorCode::kMalformed, "magic header not detected", 0);
  if (!r.ReadF32Bits(&version)) return r.TakeError();
  if (version != 1) return Error::Make(ErrorCode::kMalformed, "unknown binary version", 4);

  int last_rank = 0;
  while (!r.at_end()) {
    const uint64_t section_start = r.offset();
    uint8_t id;
    if (!r.ReadU8(&id)) return r.TakeError();
    if (id > kDataCountId) return Error::Make(ErrorCode::kMalformed, "malformed section id", section_start);
    uint32_t size;
    if (!r.ReadVarU32(&size)) return r.TakeError();
    if (size > r.remaining()) {
      return Error::Make(ErrorCode::kMalformed, "length out of bounds", r.offset());
    }
    if (id != kCustomId) {
      // A repeated or out-of-order section is read, as the specification's grammar does, as
      // content that cannot follow the sections already seen.
      if (kSectionRank[id] <= last_rank) {
        return Error::Make(ErrorCode::kMalformed, "unexpected content after last section",
                           section_start);
      }
      last_rank = kSectionRank[id];
    }
    std::span<const uint8_t> payload;
    const uint64_t payload_offset = r.offset();
    if (!r.ReadBytes(size, &payload)) return r.TakeError();
    Reader s(payload, payload_offset);
    if (!DecodeSection(id, s)) {
      if (!invalid_.ok()) return std::move(invalid_);
      Error e = s.TakeError();
      const bool truncated =
          e.message() == "unexpected end" || e.message() == "length out of bounds";
      if (truncated && id != kCustomId && !r.at_end()) {
        // The reference decoder reads an entry across its section's end and words the error
        // by what it finds there; read the section again without the bound to match it. The
        // module is rejected either way, so what this second pass appends does not matter.
        Reader wide(bytes.subspan(payload_offset), payload_offset);
        if (DecodeSection(id, wide)) {
          return Error::Make(ErrorCode::kMalformed, "section size mismatch", s.size() + payload_offset);
        }
        Error wide_error = wide.TakeError();
        if (invalid_.ok() && wide_error.message() != "unexpected end") return wide_error;
      }
      if (e.message() == "unexpected end") {
        return Error::Make(ErrorCode::kMalformed, "unexpected end of section or function", e.offset());
      }
      return e;
    }
    if (!s.at_end()) return Error::Make(ErrorCode::kMalformed, "section size mismatch", s.offset());
  }

  if (!have_code_ && !m_.functions.empty()) {
    return Error::Make(ErrorCode::kMalformed, "function and code section have inconsistent lengths",
                       r.offset());
  }
  if (m_.data_count && *m_.data_count != m_.datas.size()) {
    return Error::Make(ErrorCode::kMalformed, "data count and data section have inconsistent lengths",
                       data_section_offset_ ? data_section_offset_ : r.offset());
  }
  FillDerived();
  return Error();
}

}  // namespace

Expected<Module> Decode(std::span<const uint8_t> bytes) {
  return Decode(std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

Expected<Module> Decode(std::vector<uint8_t>&& bytes) {
  Module m;
  m.bytes = std::move(bytes);
  Decoder d(m);
  if (Error e = d.Run(); !e.ok()) return e;
  return m;
}

}  // namespace weft::wasm
