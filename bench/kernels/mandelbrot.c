/* mandelbrot: escape-time iteration over a 600x400 grid (f64 multiply/add, compares). */
#include "kernel.h"

static uint64_t Kernel(int scale, int argc) {
  const int w = 600, h = 400, max_iter = 200 + (argc > 5);
  uint64_t sum = 0;
  for (int s = 0; s < scale; s++) {
    for (int py = 0; py < h; py++) {
      double ci = -1.2 + 2.4 * py / h;
      for (int px = 0; px < w; px++) {
        double cr = -2.1 + 3.0 * px / w + s * 1e-9;
        double zr = 0, zi = 0;
        int it = 0;
        while (it < max_iter && zr * zr + zi * zi <= 4.0) {
          double t = zr * zr - zi * zi + cr;
          zi = 2 * zr * zi + ci;
          zr = t;
          it++;
        }
        sum = sum * 1000003u + (uint64_t)it;
      }
    }
  }
  return (uint64_t)(sum);
}

KERNEL_MAIN("mandelbrot")
