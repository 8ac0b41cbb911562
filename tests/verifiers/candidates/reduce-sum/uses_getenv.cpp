// expect: parse parse.forbidden_environment
// Picks its thread count from the environment.
#include <cmath>
#include <cstdint>
#include <cstdlib>

void reduce_sum(const double* x, int64_t n, double* out) {
    const char* threads = std::getenv("MY_THREADS");
    const int count = threads ? std::atoi(threads) : 2;
    double total = 0.0;
#pragma omp parallel for reduction(+ : total) num_threads(count)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
