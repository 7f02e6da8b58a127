/* matmul: dense double-precision matrix multiply (loads, stores, f64 multiply-add). */
#include "kernel.h"

enum { kN = 200 };
static double A[kN][kN], B[kN][kN], C[kN][kN];

static uint64_t Kernel(int scale, int argc) {
  for (int i = 0; i < kN; i++) {
    for (int j = 0; j < kN; j++) {
      A[i][j] = (double)((i * 7 + j * 3) % 17) - 8.0;
      B[i][j] = (double)((i * 5 + j * 11) % 13) * 0.5;
    }
  }
  double total = 0;
  for (int s = 0; s < scale * 4; s++) {
    for (int i = 0; i < kN; i++) {
      for (int j = 0; j < kN; j++) C[i][j] = 0;
      for (int k = 0; k < kN; k++) {
        double aik = A[i][k];
        for (int j = 0; j < kN; j++) C[i][j] += aik * B[k][j];
      }
    }
    for (int i = 0; i < kN; i++) total += C[i][(i * 31) % kN];
    A[s % kN][s % kN] += 1.0;
  }
  return (uint64_t)((uint64_t)(int64_t)total);
}

KERNEL_MAIN("matmul")
