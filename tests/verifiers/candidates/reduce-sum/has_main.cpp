// expect: parse parse.has_main
// A test main left in the submission.
#include <cmath>
#include <cstdint>
#include <cstdio>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}

int main() {
    double x[3] = {1, 2, 3}, out = 0;
    reduce_sum(x, 3, &out);
    std::printf("%f\n", out);
}
