// expect: parse parse.narrow_index
// Each thread counts its own block of pixels; the block bounds n * t / count are computed in 64 bits but
// stored in int, which wraps once n passes 2^31.
#include <cstdint>
#include <omp.h>

void histogram(const uint8_t* pixels, int64_t n, int64_t* counts) {
    for (int v = 0; v < 256; ++v) counts[v] = 0;
#pragma omp parallel
    {
        const int t = omp_get_thread_num(), count = omp_get_num_threads();
        const int begin = n * t / count, end = n * (t + 1) / count;
        int64_t local[256] = {0};
        for (int i = begin; i < end; ++i) local[pixels[i]] += 1;
#pragma omp critical
        for (int v = 0; v < 256; ++v) counts[v] += local[v];
    }
}
