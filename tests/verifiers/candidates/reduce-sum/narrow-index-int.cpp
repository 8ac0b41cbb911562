// expect: parse parse.narrow_index
// The textbook reduction with an int counter over the int64_t size: right on every test size, but the
// counter overflows (undefined behaviour) once n passes 2^31 elements.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
#pragma omp parallel for reduction(+ : total) schedule(static)
    for (int i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
