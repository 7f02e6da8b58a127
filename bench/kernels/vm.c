/* vm: a small stack-machine bytecode interpreter with a switch dispatch loop, running a
 * program that sums a hashed sequence (the interpreter-inside-an-interpreter case). */
#include "kernel.h"

enum Op { kPush, kLoad, kStore, kAdd, kSub, kMul, kXor, kShr, kDup, kJnz, kHalt };

typedef struct {
  uint8_t op;
  int32_t arg;
} Insn;

static uint32_t Run(const Insn* code, uint32_t* vars) {
  uint32_t stack[64];
  int sp = 0;
  int pc = 0;
  for (;;) {
    const Insn* in = &code[pc++];
    switch (in->op) {
      case kPush: stack[sp++] = (uint32_t)in->arg; break;
      case kLoad: stack[sp++] = vars[in->arg]; break;
      case kStore: vars[in->arg] = stack[--sp]; break;
      case kAdd: sp--; stack[sp - 1] += stack[sp]; break;
      case kSub: sp--; stack[sp - 1] -= stack[sp]; break;
      case kMul: sp--; stack[sp - 1] *= stack[sp]; break;
      case kXor: sp--; stack[sp - 1] ^= stack[sp]; break;
      case kShr: sp--; stack[sp - 1] >>= (stack[sp] & 31); break;
      case kDup: stack[sp] = stack[sp - 1]; sp++; break;
      case kJnz: if (stack[--sp]) pc = in->arg; break;
      case kHalt: return vars[1];
    }
  }
}

static uint64_t Kernel(int scale, int argc) {
  /* vars: 0 = counter, 1 = acc, 2 = x */
  static const Insn prog[] = {
      /* 0 */ {kLoad, 2}, {kPush, 1664525}, {kMul, 0}, {kPush, 1013904223}, {kAdd, 0},
      /* 5 */ {kDup, 0}, {kStore, 2}, {kPush, 13}, {kShr, 0}, {kLoad, 1},
      /* 10 */ {kXor, 0}, {kStore, 1},
      /* 12 */ {kLoad, 0}, {kPush, 1}, {kSub, 0}, {kDup, 0}, {kStore, 0}, {kJnz, 0},
      /* 18 */ {kHalt, 0},
  };
  uint64_t sum = 0;
  for (int s = 0; s < scale; s++) {
    uint32_t vars[3] = {800000u + (uint32_t)(argc > 5), 0, (uint32_t)s + 7};
    sum = sum * 31 + Run(prog, vars);
  }
  return (uint64_t)(sum);
}

KERNEL_MAIN("vm")
