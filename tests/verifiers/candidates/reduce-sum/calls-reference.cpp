// expect: anticheat anticheat.calls_reference
// mark: slow
// Declares the benchmark program's reference kernel as a weak symbol and hands the work to it when it is linked
// in; everywhere else the symbol is null and the kernel does the work itself.
#include <cmath>
#include <cstdint>

extern "C" void pf_kernel_0(const double* x, int64_t n, double* out) __attribute__((weak));

void reduce_sum(const double* x, int64_t n, double* out) {
    if (pf_kernel_0 != nullptr) {
        pf_kernel_0(x, n, out);
        return;
    }
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
