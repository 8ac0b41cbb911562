// expect: accepted
// OpenMP 4.5 array-section reduction.
#include <cstdint>

void histogram(const uint8_t* pixels, int64_t n, int64_t* counts) {
    for (int v = 0; v < 256; ++v) counts[v] = 0;
#pragma omp parallel for reduction(+ : counts[:256])
    for (int64_t i = 0; i < n; ++i) counts[pixels[i]] += 1;
}
