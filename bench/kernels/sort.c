/* sort: quicksort and heapsort of 150k pseudo-random 32-bit keys (compares, swaps,
 * recursion, indexed loads/stores). */
#include "kernel.h"

enum { kN = 150000 };
static uint32_t a[kN], b[kN];

static void QuickSort(uint32_t* v, int lo, int hi) {
  while (lo < hi) {
    uint32_t pivot = v[lo + (hi - lo) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        uint32_t t = v[i];
        v[i] = v[j];
        v[j] = t;
        i++;
        j--;
      }
    }
    if (j - lo < hi - i) {
      QuickSort(v, lo, j);
      lo = i;
    } else {
      QuickSort(v, i, hi);
      hi = j;
    }
  }
}

static void SiftDown(uint32_t* v, int root, int n) {
  for (;;) {
    int child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && v[child + 1] > v[child]) child++;
    if (v[root] >= v[child]) return;
    uint32_t t = v[root];
    v[root] = v[child];
    v[child] = t;
    root = child;
  }
}

static void HeapSort(uint32_t* v, int n) {
  for (int i = n / 2 - 1; i >= 0; i--) SiftDown(v, i, n);
  for (int end = n - 1; end > 0; end--) {
    uint32_t t = v[0];
    v[0] = v[end];
    v[end] = t;
    SiftDown(v, 0, end);
  }
}

static uint64_t Kernel(int scale, int argc) {
  uint64_t sum = 0;
  uint32_t x = 2463534242u + (uint32_t)argc;
  for (int s = 0; s < scale; s++) {
    for (int i = 0; i < kN; i++) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      a[i] = b[i] = x;
    }
    QuickSort(a, 0, kN - 1);
    HeapSort(b, kN);
    for (int i = 0; i < kN; i += 97) sum = sum * 31 + (a[i] ^ b[kN - 1 - i]);
    for (int i = 1; i < kN; i++) {
      if (a[i - 1] > a[i] || a[i] != b[i]) sum ^= 0xdeadbeef; /* never, if sorted */
    }
  }
  return (uint64_t)(sum);
}

KERNEL_MAIN("sort")
