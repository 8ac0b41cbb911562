// expect: correctness correctness.output_not_written
// Computes the sum into a local buffer and forgets to store it.
#include <cmath>
#include <cstdint>
#include <vector>

void reduce_sum(const double* x, int64_t n, double* out) {
    std::vector<double> result(1, 0.0);
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    result[0] = total;
    (void)out;
}
