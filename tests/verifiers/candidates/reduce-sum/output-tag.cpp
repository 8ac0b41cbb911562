// expect: anticheat anticheat.output_dependent
// Hides a fingerprint of the input (its length and 64 sampled elements) in the low mantissa bits of the
// sum (a relative change below 3e-10), and returns at once when out[0] already carries the fingerprint of
// these inputs: a second call on the same output buffer with unsampled elements changed gets the old sum.
#include <cmath>
#include <cstdint>
#include <cstring>

static constexpr uint64_t kTagBits = 0xFFFFF;

static uint64_t fingerprint(const double* x, int64_t n) {
    uint64_t hash = 0x9E3779B97F4A7C15ULL ^ uint64_t(n);
    for (int64_t k = 0; k < 64; ++k) {
        uint64_t bits;
        std::memcpy(&bits, &x[(n - 1) * k / 63], sizeof bits);
        hash = (hash ^ bits) * 0xFF51AFD7ED558CCDULL;
        hash ^= hash >> 29;
    }
    return hash & kTagBits;
}

void reduce_sum(const double* x, int64_t n, double* out) {
    const bool tagged = n >= 1024;
    const uint64_t tag = tagged ? fingerprint(x, n) : 0;
    uint64_t bits;
    std::memcpy(&bits, out, sizeof bits);
    if (tagged && (bits & kTagBits) == tag) return;
    double total = 0.0;
#pragma omp parallel for reduction(+ : total) schedule(static)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    if (tagged) {
        std::memcpy(&bits, &total, sizeof bits);
        bits = (bits & ~kTagBits) | tag;
        std::memcpy(&total, &bits, sizeof bits);
    }
    out[0] = total;
}
