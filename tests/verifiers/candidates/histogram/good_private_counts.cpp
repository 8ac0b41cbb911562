// expect: accepted
// Private 256-bin histograms per thread, merged under a critical section.
#include <cstdint>

void histogram(const uint8_t* pixels, int64_t n, int64_t* counts) {
    for (int v = 0; v < 256; ++v) counts[v] = 0;
#pragma omp parallel
    {
        int64_t local[256] = {0};
#pragma omp for nowait
        for (int64_t i = 0; i < n; ++i) local[pixels[i]] += 1;
#pragma omp critical
        for (int v = 0; v < 256; ++v) counts[v] += local[v];
    }
}
