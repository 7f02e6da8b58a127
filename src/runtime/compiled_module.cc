// CompiledModule: a validated module plus its engine-wide type ids, the lazily filled
// array of lowered function code (freed through the destroy function the compiler passed in)
// and the memory initialisation plans (copy-on-write images of the data segments).
#include <algorithm>

#include "runtime/objects.h"

namespace weft::runtime {

CompiledModule::CompiledModule(Engine* engine, wasm::Module m,
                               void (*destroy_code)(CompiledFunc*))
    : engine(engine), module(std::move(m)), destroy_code(destroy_code) {
  type_ids.reserve(module.types.size());
  for (const wasm::FuncType& t : module.types) type_ids.push_back(engine->InternType(t));
  // Sized by the whole function index space so that either indexing (defined-only or
  // imports-first) stays in bounds.
  size_t n = module.num_funcs();
  code.reset(new std::atomic<CompiledFunc*>[n]);
  for (size_t i = 0; i < n; ++i) code[i].store(nullptr, std::memory_order_relaxed);
}

CompiledModule::~CompiledModule() {
  size_t n = module.num_funcs();
  for (size_t i = 0; i < n; ++i) {
    if (CompiledFunc* c = code[i].load(std::memory_order_acquire)) destroy_code(c);
  }
}

namespace {

constexpr uint64_t kWasmPageBytes = 65536;

// One defined memory's plan. An image is built when every active segment of the memory has
// a constant offset and fits the initial size, so that instantiation cannot trap on it and
// the order of writes is known now (later segments win, as when copying in order).
MemoryInitPlan PlanMemory(const wasm::Module& m, uint32_t memory_index) {
  MemoryInitPlan plan;
  const wasm::MemoryType& mt = m.all_memories[memory_index];
  uint64_t initial = mt.limits.min * kWasmPageBytes;
  uint64_t end = 0;
  for (const wasm::DataSegment& d : m.datas) {
    if (d.mode != wasm::DataSegment::Mode::kActive || d.memory_index != memory_index) continue;
    if (d.offset.kind != wasm::ConstExpr::Kind::kI32) return plan;  // e.g. global.get
    uint64_t off = d.offset.bits & 0xffffffffu;
    if (off > initial || d.data_size > initial - off) return plan;  // traps at instantiation
    if (d.data_size != 0) end = std::max(end, off + d.data_size);
  }
  if (end == 0) {
    plan.segments_in_image = true;  // nothing to write
    return plan;
  }
  std::unique_ptr<platform::MemoryImage> image = platform::MemoryImage::Create(end);
  if (image == nullptr || image->size() > initial) return plan;
  for (const wasm::DataSegment& d : m.datas) {
    if (d.mode != wasm::DataSegment::Mode::kActive || d.memory_index != memory_index) continue;
    if (d.data_size == 0) continue;
    std::span<const uint8_t> bytes(m.bytes.data() + d.data_offset, d.data_size);
    if (!image->Write(d.offset.bits & 0xffffffffu, bytes)) return plan;
  }
  plan.image = std::move(image);
  plan.segments_in_image = true;
  return plan;
}

}  // namespace

const std::vector<MemoryInitPlan>& CompiledModule::MemoryPlans() const {
  std::call_once(plans_once_, [this] {
    plans_.reserve(module.memories.size());
    for (size_t i = 0; i < module.memories.size(); ++i) {
      plans_.push_back(PlanMemory(module, module.num_imported_memories + static_cast<uint32_t>(i)));
    }
  });
  return plans_;
}

const std::vector<std::vector<uint32_t>>& CompiledModule::TablePlans() const {
  std::call_once(tables_once_, [this] {
    const wasm::Module& m = module;
    // Lazy only when no active segment can fail: constant offsets within the declared
    // minimum (an imported table is at least that large), items that are ref.func or
    // ref.null. Otherwise a failing segment must leave the earlier ones' effects, in order.
    for (const wasm::ElemSegment& seg : m.elems) {
      if (seg.mode != wasm::ElemSegment::Mode::kActive) continue;
      if (seg.offset.kind != wasm::ConstExpr::Kind::kI32) return;
      uint64_t offset = seg.offset.bits & 0xffffffffu;
      uint64_t min = m.all_tables[seg.table_index].limits.min;
      if (offset > min || seg.items.size() > min - offset) return;
      for (const wasm::ConstExpr& item : seg.items) {
        if (item.kind != wasm::ConstExpr::Kind::kRefFunc &&
            item.kind != wasm::ConstExpr::Kind::kRefNull) {
          return;
        }
      }
    }
    std::vector<std::vector<uint32_t>> plans(m.tables.size());
    for (const wasm::ElemSegment& seg : m.elems) {
      if (seg.mode != wasm::ElemSegment::Mode::kActive) continue;
      if (seg.table_index < m.num_imported_tables) continue;  // applied eagerly
      std::vector<uint32_t>& plan = plans[seg.table_index - m.num_imported_tables];
      if (plan.empty()) plan.assign(m.all_tables[seg.table_index].limits.min, 0);
      uint64_t at = seg.offset.bits & 0xffffffffu;
      for (const wasm::ConstExpr& item : seg.items) {
        plan[at++] = item.kind == wasm::ConstExpr::Kind::kRefFunc ? item.index + 1 : 0;
      }
    }
    table_plans_ = std::move(plans);
  });
  return table_plans_;
}

}  // namespace weft::runtime
