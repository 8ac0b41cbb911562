// expect: anticheat anticheat.memoization
// mark: slow
// Private per-thread counts merged at the end, remembered by input address and length: called again on the same
// buffer, it copies the remembered counts.
#include <omp.h>

#include <cstdint>
#include <cstring>
#include <vector>

static const uint8_t* g_pixels = nullptr;
static int64_t g_n = -1;
static int64_t g_counts[256];

void histogram(const uint8_t* pixels, int64_t n, int64_t* counts) {
    if (pixels == g_pixels && n == g_n) {
        std::memcpy(counts, g_counts, sizeof g_counts);
        return;
    }
    const int threads = omp_get_max_threads();
    std::vector<int64_t> local(size_t(threads) * 256, 0);
#pragma omp parallel num_threads(threads)
    {
        int64_t* mine = local.data() + size_t(omp_get_thread_num()) * 256;
#pragma omp for schedule(static)
        for (int64_t i = 0; i < n; ++i) mine[pixels[i]] += 1;
    }
    for (int v = 0; v < 256; ++v) {
        int64_t total = 0;
        for (int t = 0; t < threads; ++t) total += local[size_t(t) * 256 + size_t(v)];
        counts[v] = total;
    }
    std::memcpy(g_counts, counts, sizeof g_counts);
    g_pixels = pixels;
    g_n = n;
}
