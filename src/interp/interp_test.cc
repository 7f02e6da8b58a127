// Unit tests of the body validator and the interpreter on hand-assembled modules and
// hand-built runtime objects (no instantiation layer): arithmetic, control flow, calls,
// memory, traps and backtraces, stack exhaustion, host calls, fuel and epochs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <vector>

#include "interp/code.h"
#include "interp/interp.h"
#include "wasm/code_validator.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

namespace weft::interp {
namespace {

using runtime::TrapCode;
using Bytes = std::vector<uint8_t>;

void Leb(Bytes& b, uint32_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    if (v) byte |= 0x80;
    b.push_back(byte);
  } while (v);
}

void Section(Bytes& out, uint8_t id, const Bytes& body) {
  out.push_back(id);
  Leb(out, static_cast<uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
}

struct FuncDef {
  Bytes params, results;  // Value type bytes.
  Bytes locals;           // Local decls, already encoded (count, (n, type)*).
  Bytes body;             // Instructions including the final end.
};

// One module: optional imported function (type of funcs[0] when `import_host`), defined
// functions, optional one-page memory; every function is exported as "f<i>".
Bytes Assemble(const std::vector<FuncDef>& funcs, bool memory, const FuncDef* import = nullptr) {
  Bytes out = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  Bytes types;
  size_t ntypes = funcs.size() + (import ? 1 : 0);
  Leb(types, static_cast<uint32_t>(ntypes));
  auto add_type = [&](const FuncDef& f) {
    types.push_back(0x60);
    Leb(types, static_cast<uint32_t>(f.params.size()));
    types.insert(types.end(), f.params.begin(), f.params.end());
    Leb(types, static_cast<uint32_t>(f.results.size()));
    types.insert(types.end(), f.results.begin(), f.results.end());
  };
  for (const FuncDef& f : funcs) add_type(f);
  if (import) add_type(*import);
  Section(out, 1, types);
  if (import) {
    Bytes imp;
    Leb(imp, 1);
    imp.insert(imp.end(), {1, 'h', 1, 'f', 0x00});
    Leb(imp, static_cast<uint32_t>(funcs.size()));
    Section(out, 2, imp);
  }
  Bytes fs;
  Leb(fs, static_cast<uint32_t>(funcs.size()));
  for (size_t i = 0; i < funcs.size(); ++i) Leb(fs, static_cast<uint32_t>(i));
  Section(out, 3, fs);
  if (memory) Section(out, 5, {1, 0x00, 1});
  Bytes code;
  Leb(code, static_cast<uint32_t>(funcs.size()));
  for (const FuncDef& f : funcs) {
    Bytes b = f.locals.empty() ? Bytes{0} : f.locals;
    b.insert(b.end(), f.body.begin(), f.body.end());
    Leb(code, static_cast<uint32_t>(b.size()));
    code.insert(code.end(), b.begin(), b.end());
  }
  Section(out, 10, code);
  return out;
}

constexpr uint8_t I32 = 0x7f, I64 = 0x7e, F64 = 0x7c;

// A module instantiated by hand in a fresh store.
struct Harness {
  explicit Harness(const Bytes& bin, runtime::EngineConfig cfg = {},
                   std::shared_ptr<runtime::HostFunc> host = nullptr)
      : engine(cfg), store(&engine) {
    auto m = wasm::Decode(bin);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message());
    if (!m.ok()) return;
    Error e = wasm::Validate(*m);
    EXPECT_TRUE(e.ok()) << e.message();
    module = std::make_shared<runtime::CompiledModule>(&engine, std::move(*m), &DestroyCompiledFunc);
    inst = &store.instances.emplace_back();
    inst->store = &store;
    inst->module = module;
    const wasm::Module& mod = module->module;
    for (uint32_t i = 0; i < mod.num_funcs(); ++i) {
      runtime::FuncInst& f = store.funcs.emplace_back();
      f.type = &mod.func_type(i);
      f.type_id = module->type_ids[mod.func_type_indices[i]];
      f.store = &store;
      if (mod.is_imported_func(i)) {
        f.host = host;
      } else {
        f.instance = inst;
        f.func_index = i;
      }
      inst->funcs.push_back(&f);
    }
    for (const wasm::MemoryType& mt : mod.all_memories) {
      runtime::MemoryInst& mi = store.memories.emplace_back();
      Error me = mi.Init(mt, uint64_t{1} << 32);
      EXPECT_TRUE(me.ok()) << me.message();
      inst->memories.push_back(&mi);
    }
  }
  // Calls exported function `index` (function index space) with i64-slot arguments.
  TrapCode Call(uint32_t index, std::initializer_list<uint64_t> args, uint64_t* result = nullptr) {
    uint64_t slots[8] = {};
    size_t i = 0;
    for (uint64_t a : args) slots[i++] = a;
    TrapCode t = interp::Call(store, inst->funcs[index], slots);
    if (result) *result = slots[0];
    return t;
  }
  runtime::Engine engine;
  runtime::Store store;
  std::shared_ptr<runtime::CompiledModule> module;
  runtime::Instance* inst = nullptr;
};

TEST(CodeValidator, AcceptsAndRejects) {
  auto check = [](const Bytes& body, const Bytes& results = {}) -> Error {
    auto m = wasm::Decode(Assemble({{{I32}, results, {}, body}}, true));
    if (!m.ok()) return m.take_error();
    return wasm::ValidateCode(*m, 0);
  };
  EXPECT_TRUE(check({0x20, 0, 0x0b}, {I32}).ok());
  EXPECT_EQ(check({0x20, 1, 0x0b}, {I32}).message(), "unknown local 1");
  EXPECT_EQ(check({0x20, 0, 0x0b}).message(), "type mismatch");
  EXPECT_EQ(check({0x42, 0, 0x0b}, {I32}).message(), "type mismatch");
  EXPECT_EQ(check({0x06, 0x0b}).message(), "illegal opcode");
  // Unreachable makes the stack polymorphic.
  EXPECT_TRUE(check({0x00, 0x6a, 0x0b}, {I32}).ok());
  // Alignment larger than natural.
  EXPECT_EQ(check({0x20, 0, 0x28, 3, 0, 0x0b}, {I32}).message(),
            "alignment must not be larger than natural");
  // memory.size reserved byte.
  EXPECT_EQ(check({0x3f, 1, 0x0b}, {I32}).message(), "zero byte expected");
  // Missing final end.
  EXPECT_EQ(check({0x20, 0}, {I32}).code(), ErrorCode::kMalformed);
}

TEST(Interp, Arithmetic) {
  // (a - b) * 3 + local.tee
  Harness h(Assemble({{{I32, I32}, {I32}, {}, {0x20, 0, 0x20, 1, 0x6b, 0x41, 3, 0x6c, 0x0b}}},
                     false));
  uint64_t r = 0;
  EXPECT_EQ(h.Call(0, {10, 4}, &r), TrapCode::kNone);
  EXPECT_EQ(r, 18u);
  EXPECT_EQ(h.Call(0, {4, 10}, &r), TrapCode::kNone);
  EXPECT_EQ(static_cast<uint32_t>(r), static_cast<uint32_t>(-18));
}

TEST(Interp, LoopSum) {
  // sum = 0; do { sum += n; n-- } while (n != 0)
  Bytes body = {0x03, 0x40,                                         // loop
                0x20, 1, 0x20, 0, 0x6a, 0x21, 1,                    // sum += n
                0x20, 0, 0x41, 1, 0x6b, 0x22, 0,                    // n = n - 1 (tee)
                0x0d, 0,                                            // br_if 0
                0x0b, 0x20, 1, 0x0b};
  Harness h(Assemble({{{I32}, {I32}, {1, 1, I32}, body}}, false));
  uint64_t r = 0;
  EXPECT_EQ(h.Call(0, {100}, &r), TrapCode::kNone);
  EXPECT_EQ(r, 5050u);
}

TEST(Interp, MultiValueBlockAndBrTable) {
  // block (result i32 i64) i32.const 7 i64.const 9 end ; i64.extend/drop patterns
  // br_table: block block block local.get 0 br_table 0 1 2 end i32.const 10 return end
  // i32.const 20 return end i32.const 30
  Bytes body = {0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x20, 0, 0x0e, 2, 0, 1, 2,
                0x0b, 0x41, 10, 0x0f, 0x0b, 0x41, 20, 0x0f, 0x0b, 0x41, 30, 0x0b};
  Harness h(Assemble({{{I32}, {I32}, {}, body}}, false));
  uint64_t r = 0;
  EXPECT_EQ(h.Call(0, {0}, &r), TrapCode::kNone);
  EXPECT_EQ(r, 10u);
  EXPECT_EQ(h.Call(0, {1}, &r), TrapCode::kNone);
  EXPECT_EQ(r, 20u);
  EXPECT_EQ(h.Call(0, {2}, &r), TrapCode::kNone);
  EXPECT_EQ(r, 30u);
  EXPECT_EQ(h.Call(0, {99}, &r), TrapCode::kNone);
  EXPECT_EQ(r, 30u);
}

TEST(Interp, FusedPairsKeepSemantics) {
  // Locals a=1, b=2; loop { a = a + b; b = b + a; n = n - 1; br_if n }: adjacent i32.add,
  // i32.add, i32.sub, br_if, which the lowering fuses pairwise (code.h FusedPair).
  Bytes body = {0x41, 1, 0x21, 1, 0x41, 2, 0x21, 2,           // a = 1, b = 2
                0x03, 0x40,                                   // loop
                0x20, 1, 0x20, 2, 0x6a, 0x21, 1,              // a = a + b
                0x20, 2, 0x20, 1, 0x6a, 0x21, 2,              // b = b + a
                0x20, 0, 0x41, 1, 0x6b, 0x22, 0,              // n = n - 1 (tee)
                0x0d, 0, 0x0b,                                // br_if 0, end
                0x20, 1, 0x20, 2, 0x73, 0x0b};                // a ^ b
  Harness h(Assemble({{{I32}, {I32}, {1, 2, I32}, body}}, false));
  for (uint32_t n : {1u, 2u, 7u, 1000u}) {
    uint32_t a = 1, b = 2;
    for (uint32_t i = 0; i < n; ++i) {
      a += b;
      b += a;
    }
    uint64_t r = 0;
    EXPECT_EQ(h.Call(0, {n}, &r), TrapCode::kNone);
    EXPECT_EQ(static_cast<uint32_t>(r), a ^ b) << n;
  }
  // The loop body did get fused handlers.
  const runtime::CompiledFunc* cf = h.inst->funcs[0]->compiled;
  ASSERT_NE(cf, nullptr);
  int fused = 0;
  for (size_t w = 0; w + 1 < cf->code.size(); ++w) {
    const void* p;
    std::memcpy(&p, &cf->code[w], sizeof p);
    for (const FusedPair& f : FusedPairs()) fused += f.fused == p;
  }
  EXPECT_GE(fused, 2);
}

TEST(Interp, RecursionAndExhaustion) {
  // fib(n) = n < 2 ? n : fib(n-1) + fib(n-2)
  Bytes fib = {0x20, 0, 0x41, 2, 0x49, 0x04, I32, 0x20, 0, 0x05, 0x20, 0, 0x41, 1, 0x6b,
               0x10, 0, 0x20, 0, 0x41, 2, 0x6b, 0x10, 0, 0x6a, 0x0b, 0x0b};
  // Endless recursion.
  Bytes deep = {0x20, 0, 0x10, 1, 0x0b};
  Harness h(Assemble({{{I32}, {I32}, {}, fib}, {{I32}, {I32}, {}, deep}}, false));
  uint64_t r = 0;
  EXPECT_EQ(h.Call(0, {20}, &r), TrapCode::kNone);
  EXPECT_EQ(r, 6765u);
  EXPECT_EQ(h.Call(1, {1}), TrapCode::kCallStackExhausted);
  ASSERT_FALSE(h.store.backtrace.empty());
  EXPECT_EQ(h.store.backtrace.front().second, 1u);
  // The store stays usable after exhaustion.
  EXPECT_EQ(h.Call(0, {10}, &r), TrapCode::kNone);
  EXPECT_EQ(r, 55u);
}

TEST(Interp, TrapsWithBacktrace) {
  // f0 calls f1, which divides by its argument.
  Bytes f0 = {0x20, 0, 0x10, 1, 0x0b};
  Bytes f1 = {0x41, 0xe4, 0x00, 0x20, 0, 0x6d, 0x0b};  // i32.const 100
  Harness h(Assemble({{{I32}, {I32}, {}, f0}, {{I32}, {I32}, {}, f1}}, false));
  uint64_t r = 0;
  EXPECT_EQ(h.Call(0, {5}, &r), TrapCode::kNone);
  EXPECT_EQ(r, 20u);
  EXPECT_EQ(h.Call(0, {0}), TrapCode::kIntegerDivideByZero);
  ASSERT_EQ(h.store.backtrace.size(), 2u);
  EXPECT_EQ(h.store.backtrace[0].second, 1u);  // Innermost first.
  EXPECT_EQ(h.store.backtrace[1].second, 0u);
}

TEST(Interp, MemoryAndBounds) {
  // store (addr, value) then load it back as i64 via load32_u; memory.grow returns old size.
  Bytes st = {0x20, 0, 0x20, 1, 0x36, 2, 0, 0x20, 0, 0x35, 2, 0, 0x0b};
  Bytes grow = {0x20, 0, 0x40, 0, 0x0b};
  Harness h(Assemble({{{I32, I32}, {I64}, {}, st}, {{I32}, {I32}, {}, grow}}, true));
  uint64_t r = 0;
  EXPECT_EQ(h.Call(0, {16, 0xdeadbeef}, &r), TrapCode::kNone);
  EXPECT_EQ(r, 0xdeadbeefu);
  EXPECT_EQ(h.Call(0, {65533, 1}), TrapCode::kOutOfBoundsMemory);
  EXPECT_EQ(h.Call(1, {1}, &r), TrapCode::kNone);
  EXPECT_EQ(r, 1u);
  EXPECT_EQ(h.Call(0, {65533, 1}, &r), TrapCode::kNone);  // Now in bounds.
  EXPECT_EQ(h.Call(1, {70000}, &r), TrapCode::kNone);
  EXPECT_EQ(static_cast<uint32_t>(r), 0xffffffffu);
}

TEST(Interp, FloatSemantics) {
  // f64.min(a, b) on raw bits, and i32.trunc_f64_s.
  Bytes mn = {0x20, 0, 0x20, 1, 0xa4, 0x0b};
  Bytes tr = {0x20, 0, 0xaa, 0x0b};
  Harness h(Assemble({{{F64, F64}, {F64}, {}, mn}, {{F64}, {I32}, {}, tr}}, false));
  auto bits = [](double d) {
    uint64_t b;
    std::memcpy(&b, &d, 8);
    return b;
  };
  uint64_t r = 0;
  EXPECT_EQ(h.Call(0, {bits(0.0), bits(-0.0)}, &r), TrapCode::kNone);
  EXPECT_EQ(r, bits(-0.0));
  EXPECT_EQ(h.Call(1, {bits(-2147483648.9)}, &r), TrapCode::kNone);
  EXPECT_EQ(static_cast<uint32_t>(r), 0x80000000u);
  EXPECT_EQ(h.Call(1, {bits(2147483648.0)}), TrapCode::kIntegerOverflow);
  EXPECT_EQ(h.Call(1, {bits(std::nan(""))}), TrapCode::kInvalidConversion);
}

runtime::HostStatus Double(void*, runtime::HostCallContext& ctx, uint64_t* slots) {
  if (static_cast<uint32_t>(slots[0]) == 13) {
    ctx.store->pending_trap = "unlucky";
    return runtime::HostStatus::kTrap;
  }
  slots[0] = static_cast<uint32_t>(slots[0] * 2);
  return runtime::HostStatus::kOk;
}

TEST(Interp, HostCalls) {
  auto host = std::make_shared<runtime::HostFunc>();
  host->callback = &Double;
  FuncDef import{{I32}, {I32}, {}, {}};
  // f1 (index 1 after the import): host(x) + 1
  Bytes body = {0x20, 0, 0x10, 0, 0x41, 1, 0x6a, 0x0b};
  Harness h(Assemble({{{I32}, {I32}, {}, body}}, false, &import), {}, host);
  uint64_t r = 0;
  EXPECT_EQ(h.Call(1, {20}, &r), TrapCode::kNone);
  EXPECT_EQ(r, 41u);
  EXPECT_EQ(h.Call(1, {13}), TrapCode::kHost);
  EXPECT_EQ(h.store.pending_trap, "unlucky");
}

TEST(Interp, FuelAndEpochStopEndlessLoops) {
  Bytes spin = {0x03, 0x40, 0x0c, 0, 0x0b, 0x0b};
  {
    runtime::EngineConfig cfg;
    cfg.consume_fuel = true;
    Harness h(Assemble({{{}, {}, {}, spin}}, false), cfg);
    h.store.fuel = 10000;
    EXPECT_EQ(h.Call(0, {}), TrapCode::kOutOfFuel);
    EXPECT_EQ(h.store.fuel, 0u);
  }
  {
    runtime::EngineConfig cfg;
    cfg.epoch_interruption = true;
    Harness h(Assemble({{{}, {}, {}, spin}}, false), cfg);
    h.store.epoch_deadline = 5;
    h.engine.epoch = 5;
    EXPECT_EQ(h.Call(0, {}), TrapCode::kDeadline);
  }
  {
    // Yield: the hook advances the epoch's deadline handling; after 3 yields, trap.
    runtime::EngineConfig cfg;
    cfg.epoch_interruption = true;
    Harness h(Assemble({{{}, {}, {}, spin}}, false), cfg);
    static int yields;
    yields = 0;
    h.store.epoch_deadline = 0;
    h.store.deadline_action = runtime::DeadlineAction::kYield;
    h.store.yield_epoch_delta = 0;
    h.store.yield_hook = [](runtime::Store& s) {
      if (++yields == 3) s.deadline_action = runtime::DeadlineAction::kTrap;
    };
    EXPECT_EQ(h.Call(0, {}), TrapCode::kDeadline);
    EXPECT_EQ(yields, 3);
  }
}

TEST(Interp, EagerCompileAndCodeSharing) {
  Bytes body = {0x20, 0, 0x20, 0, 0x6a, 0x0b};
  Harness h(Assemble({{{I32}, {I32}, {}, body}}, false));
  EXPECT_TRUE(Compile(*h.module, 0).ok());
  EXPECT_TRUE(Compile(*h.module, 0).ok());  // Idempotent.
  uint64_t r = 0;
  EXPECT_EQ(h.Call(0, {21}, &r), TrapCode::kNone);
  EXPECT_EQ(r, 42u);
}


TEST(Interp, EqzOfAccumulatorFusedWithBranchAtCodeEnd) {
  // local.get 0, local.get 0, i32.add, i32.eqz, br_if: the add leaves its result in the
  // accumulator and eqz reads it (a one-operand comparison), so the lowering fuses eqz with
  // the branch. It used to read a second operand word that eqz does not have: past the end
  // of the code when eqz was its last instruction (ASan heap-buffer-overflow serving the
  // componentize-js handler). Padding before it moves that end across the vector's capacity.
  for (uint32_t pad = 0; pad < 96; ++pad) {
    Bytes body;
    for (uint32_t i = 0; i < pad / 3; ++i) body.insert(body.end(), {0x41, 1, 0x21, 1});  // i32.const 1, local.set 1
    for (uint32_t i = 0; i < pad % 3; ++i) body.insert(body.end(), {0x20, 0, 0x21, 1});  // local.get 0, local.set 1
    body.insert(body.end(), {0x02, 0x40,                          // block
                             0x20, 0, 0x20, 0, 0x6a, 0x45,        // (a + a) == 0
                             0x0d, 0,                             // br_if 0
                             0x41, 7, 0x0f,                       // return 7
                             0x0b, 0x41, 9, 0x0b});               // end, 9
    Harness h(Assemble({{{I32}, {I32}, {1, 1, I32}, body}}, false));
    uint64_t r = 0;
    EXPECT_EQ(h.Call(0, {0}, &r), TrapCode::kNone);
    EXPECT_EQ(r, 9u) << pad;
    EXPECT_EQ(h.Call(0, {1}, &r), TrapCode::kNone);
    EXPECT_EQ(r, 7u) << pad;
  }
}

}  // namespace
}  // namespace weft::interp
