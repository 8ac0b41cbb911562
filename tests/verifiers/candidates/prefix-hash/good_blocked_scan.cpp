// expect: accepted
// Three-phase blocked scan: local hashes per block, a serial pass over the blocks, then the carry-in.
#include <cstdint>
#include <omp.h>
#include <vector>

namespace {
constexpr uint64_t kBase = 131, kMod = 1000000007;

uint64_t power(uint64_t b, int64_t e) {
    uint64_t result = 1;
    for (b %= kMod; e > 0; e >>= 1, b = b * b % kMod)
        if (e & 1) result = result * b % kMod;
    return result;
}
}  // namespace

void prefix_hash(const uint8_t* text, int64_t n, int64_t* h) {
    const int threads = omp_get_max_threads();
    std::vector<uint64_t> block_hash(threads + 1, 0), carry(threads + 1, 0);
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num(), count = omp_get_num_threads();
        const int64_t begin = n * t / count, end = n * (t + 1) / count;
        uint64_t running = 0;
        for (int64_t i = begin; i < end; ++i) {
            running = (running * kBase + text[i]) % kMod;
            h[i] = int64_t(running);
        }
        block_hash[t] = running;
#pragma omp barrier
#pragma omp single
        for (int b = 1; b < count; ++b) {
            const int64_t length = n * b / count - n * (b - 1) / count;
            carry[b] = (carry[b - 1] * power(kBase, length) + block_hash[b - 1]) % kMod;
        }
        if (carry[t] != 0) {
            uint64_t scale = carry[t];
            for (int64_t i = begin; i < end; ++i) {
                scale = scale * kBase % kMod;
                h[i] = int64_t((uint64_t(h[i]) + scale) % kMod);
            }
        }
    }
}
