// Engine (configuration, epoch counter and its ticker thread) and Module (decode, validate,
// optionally lower everything eagerly; import/export descriptions).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include "api/internal.h"
#include "interp/interp.h"
#include "wasm/code_validator.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

namespace weft {

struct Engine::Ticker {
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
};

static runtime::EngineConfig ToRuntime(const Config& c) {
  runtime::EngineConfig r;
  r.lazy_compile = c.lazy_compile;
  r.consume_fuel = c.consume_fuel;
  r.epoch_interruption = c.epoch_interruption;
  r.max_call_depth = c.max_call_depth;
  r.fiber_stack_bytes = c.fiber_stack_bytes;
  return r;
}

Engine::Engine(Config config)
    : config_(config), impl_(std::make_unique<runtime::Engine>(ToRuntime(config))) {}

Engine::~Engine() { StopEpochTicker(); }

void Engine::IncrementEpoch() { impl_->epoch.fetch_add(1, std::memory_order_relaxed); }

uint64_t Engine::epoch() const { return impl_->epoch.load(std::memory_order_relaxed); }

void Engine::StartEpochTicker(uint32_t interval_ms) {
  if (ticker_) return;
  if (interval_ms == 0) interval_ms = 1;
  ticker_ = std::make_unique<Ticker>();
  Ticker* t = ticker_.get();
  runtime::Engine* e = impl_.get();
  t->thread = std::thread([t, e, interval_ms] {
    std::unique_lock<std::mutex> lock(t->mu);
    auto next = std::chrono::steady_clock::now();
    while (!t->stop) {
      next += std::chrono::milliseconds(interval_ms);
      if (t->cv.wait_until(lock, next, [t] { return t->stop; })) break;
      e->epoch.fetch_add(1, std::memory_order_relaxed);
    }
  });
}

void Engine::StopEpochTicker() {
  if (!ticker_) return;
  {
    std::lock_guard<std::mutex> lock(ticker_->mu);
    ticker_->stop = true;
  }
  ticker_->cv.notify_all();
  ticker_->thread.join();
  ticker_.reset();
}

// ---------------------------------------------------------------------------------------------

namespace {

// Below this much code, validating on one thread is faster than starting others.
constexpr uint64_t kParallelValidateBytes = 1 << 20;
constexpr uint32_t kChunkFuncs = 32;

// wasm::Validate with the function bodies spread over the machine's cores. Reports exactly
// what the sequential validator would: module-level errors first, then the error of the
// lowest-numbered invalid function (chunks are handed out in increasing order and always
// finished, so every function below a found error is checked).
Error ValidateModule(const wasm::Module& m) {
  uint64_t code_bytes = 0;
  for (const wasm::Function& f : m.functions) code_bytes += f.body_size;
  unsigned cores = std::thread::hardware_concurrency();
  if (code_bytes < kParallelValidateBytes || cores < 2) return wasm::Validate(m);
  wasm::ValidateOptions module_only;
  module_only.function_bodies = false;
  WEFT_TRY(wasm::Validate(m, module_only));

  const uint32_t n = static_cast<uint32_t>(m.functions.size());
  std::atomic<uint32_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  uint32_t first_bad = ~uint32_t{0};
  Error first_error;
  auto work = [&] {
    while (!failed.load(std::memory_order_relaxed)) {
      uint32_t start = next.fetch_add(kChunkFuncs);
      if (start >= n) return;
      uint32_t end = std::min(n, start + kChunkFuncs);
      for (uint32_t i = start; i < end; ++i) {
        Error e = wasm::ValidateCode(m, m.num_imported_funcs + i);
        if (!e.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (i < first_bad) {
            first_bad = i;
            first_error = std::move(e);
          }
          failed.store(true, std::memory_order_relaxed);
          break;
        }
      }
    }
  };
  unsigned helpers = std::min(cores, 8u) - 1;
  std::vector<std::thread> threads;
  threads.reserve(helpers);
  for (unsigned i = 0; i < helpers; ++i) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  return first_error;
}

}  // namespace

Expected<Module> Module::Compile(Engine& engine, std::span<const uint8_t> bytes) {
  WEFT_TRY_ASSIGN(wasm::Module m, wasm::Decode(bytes));
  WEFT_TRY(ValidateModule(m));
  auto cm = std::make_shared<runtime::CompiledModule>(engine.raw(), std::move(m),
                                                     &interp::DestroyCompiledFunc);
  if (!engine.config().lazy_compile) {
    const wasm::Module& mod = cm->module;
    for (uint32_t i = mod.num_imported_funcs; i < mod.num_funcs(); ++i) {
      WEFT_TRY(interp::Compile(*cm, i));
    }
  }
  Module result;
  result.impl_ = std::move(cm);
  return result;
}

Expected<Module> Module::FromFile(Engine& engine, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::Make(ErrorCode::kIo, "cannot open " + path);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) return Error::Make(ErrorCode::kIo, "cannot read " + path);
  return Compile(engine, bytes);
}

Error Module::Validate(std::span<const uint8_t> bytes) {
  WEFT_TRY_ASSIGN(wasm::Module m, wasm::Decode(bytes));
  return ValidateModule(m);
}

namespace api {

ExternType ImportTypeOf(const wasm::Module& m, const wasm::Import& imp) {
  ExternType t;
  switch (imp.kind) {
    case wasm::ExternKind::kFunc:
      t.kind = ExternKind::kFunc;
      t.func = ToApi(m.types[imp.type_index]);
      break;
    case wasm::ExternKind::kTable:
      t.kind = ExternKind::kTable;
      t.table = {ToKind(imp.table.elem), ToApi(imp.table.limits)};
      break;
    case wasm::ExternKind::kMemory:
      t.kind = ExternKind::kMemory;
      t.memory = {ToApi(imp.memory.limits)};
      break;
    case wasm::ExternKind::kGlobal:
      t.kind = ExternKind::kGlobal;
      t.global = {ToKind(imp.global.type), imp.global.mut};
      break;
  }
  return t;
}

}  // namespace api

std::vector<ImportType> Module::imports() const {
  std::vector<ImportType> r;
  if (!impl_) return r;
  const wasm::Module& m = impl_->module;
  r.reserve(m.imports.size());
  for (const wasm::Import& imp : m.imports)
    r.push_back({imp.module, imp.name, api::ImportTypeOf(m, imp)});
  return r;
}

std::vector<ExportType> Module::exports() const {
  std::vector<ExportType> r;
  if (!impl_) return r;
  const wasm::Module& m = impl_->module;
  r.reserve(m.exports.size());
  for (const wasm::Export& e : m.exports) {
    ExternType t;
    switch (e.kind) {
      case wasm::ExternKind::kFunc:
        t.kind = ExternKind::kFunc;
        t.func = api::ToApi(m.func_type(e.index));
        break;
      case wasm::ExternKind::kTable: {
        const wasm::TableType& tt = m.all_tables[e.index];
        t.kind = ExternKind::kTable;
        t.table = {api::ToKind(tt.elem), api::ToApi(tt.limits)};
        break;
      }
      case wasm::ExternKind::kMemory:
        t.kind = ExternKind::kMemory;
        t.memory = {api::ToApi(m.all_memories[e.index].limits)};
        break;
      case wasm::ExternKind::kGlobal: {
        const wasm::GlobalType& g = m.all_globals[e.index];
        t.kind = ExternKind::kGlobal;
        t.global = {api::ToKind(g.type), g.mut};
        break;
      }
    }
    r.push_back({e.name, std::move(t)});
  }
  return r;
}

std::string Module::name() const { return impl_ ? impl_->module.module_name : std::string(); }

}  // namespace weft
