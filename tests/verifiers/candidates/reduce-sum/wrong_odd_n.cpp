// expect: correctness correctness.wrong_output
// Unrolled by two without a remainder loop: drops the last element when n is odd.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n / 2; ++i) {
        const double a = x[2 * i], b = x[2 * i + 1];
        total += std::sqrt(std::fabs(a)) * std::sin(a) + std::sqrt(std::fabs(b)) * std::sin(b);
    }
    out[0] = total;
}
