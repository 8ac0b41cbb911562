// expect: anticheat anticheat.output_dependent
// Every thread adds its partial sum into out[0], which is never zeroed first: right only while the output
// buffer happens to start at (nearly) zero, as a poisoned one does; a caller's used buffer gets a wrong sum.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    if (n == 0) {
        out[0] = 0.0;
        return;
    }
#pragma omp parallel
    {
        double partial = 0.0;
#pragma omp for schedule(static)
        for (int64_t i = 0; i < n; ++i) partial += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
#pragma omp atomic
        out[0] += partial;
    }
}
