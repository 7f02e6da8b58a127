// CompiledModule: a validated module plus its engine-wide type ids and the lazily filled
// array of lowered function code (freed through the destroy function the compiler passed in).
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

}  // namespace weft::runtime
