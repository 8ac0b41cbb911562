// expect: correctness correctness.wrong_output | race race.data_race
// Increments the shared bins from every thread without synchronisation.
#include <cstdint>

void histogram(const uint8_t* pixels, int64_t n, int64_t* counts) {
    for (int v = 0; v < 256; ++v) counts[v] = 0;
#pragma omp parallel for
    for (int64_t i = 0; i < n; ++i) counts[pixels[i]] += 1;
}
