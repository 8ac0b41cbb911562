// expect: parse parse.forbidden_asm
// Inline assembly (here a harmless fence, but the stage cannot know).
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    __asm__ volatile("mfence" ::: "memory");
    out[0] = total;
}
