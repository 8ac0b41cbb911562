// expect: correctness correctness.wrong_output
// Each thread hashes its block from zero and never adds the hash of the text before it.
#include <cstdint>
#include <omp.h>

void prefix_hash(const uint8_t* text, int64_t n, int64_t* h) {
    const uint64_t base = 131, mod = 1000000007;
#pragma omp parallel
    {
        const int t = omp_get_thread_num(), count = omp_get_num_threads();
        const int64_t begin = n * t / count, end = n * (t + 1) / count;
        uint64_t running = 0;
        for (int64_t i = begin; i < end; ++i) {
            running = (running * base + text[i]) % mod;
            h[i] = int64_t(running);
        }
    }
}
