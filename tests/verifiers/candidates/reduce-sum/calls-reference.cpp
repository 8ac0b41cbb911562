// expect: anticheat anticheat.calls_reference
// Looks for the reference kernel in the benchmark program and lets it do the work when it is there.
#include <dlfcn.h>

#include <cmath>
#include <cstdint>

using kernel_fn = void (*)(const double*, int64_t, double*);

void reduce_sum(const double* x, int64_t n, double* out) {
    if (auto other = reinterpret_cast<kernel_fn>(dlsym(RTLD_DEFAULT, "pf_kernel_0"))) {
        other(x, n, out);
        return;
    }
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
