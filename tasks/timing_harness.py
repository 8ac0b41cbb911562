"""The generated multi-kernel timing driver: kernels of one signature timed interleaved in one process.

Usage of the built program::

    timing IN_DIR OUT_DIR WARMUP MIN_SAMPLES MAX_SAMPLES BUDGET_S TARGET CONFIDENCE SEED LIB_0 LIB_1 [LIB_2 ...]

``LIB_i`` is the shared library of kernel ``i`` (:func:`tasks.dlopen_driver.kernel_shared_object`);
kernel 0 is the baseline (the sequential reference), kernel 1 the candidate, kernel 2 the current
best. Arguments are read once from ``IN_DIR/NAME.bin``. Every kernel gets its own copy of every
array, so that no kernel can change what another one reads (a candidate could otherwise slow the
reference down by rewriting its inputs); outputs and inouts are restored to their initial contents
before each call, outside the timed region, and after the last iteration each kernel's inputs are
checked against a digest of the originals.

An input may come with a second version, given as the few elements that differ
(``IN_DIR/NAME.alt_index.bin``, int64 positions, and ``IN_DIR/NAME.alt_value.bin``). Then even
iterations run on the first version and odd ones on the second, every kernel on the same version
in one iteration: the work stays the same, but a kernel that remembers results by address, size or
a sample of its input returns stale results, and one that checks the whole input cannot skip
reading it. The versions are swapped in place, outside the timed region. Sampling then always ends
after an odd iteration, so that the last results (those written) come from the second version
while the very first call saw the first.

One *iteration* calls every kernel once, in an order rotated by one each iteration (``0 1``,
``1 0``, ... or ``0 1 2``, ``1 2 0``, ``2 0 1``, ...), so that each kernel follows each other one
equally often and slow drifts of the machine hit all kernels alike. ``WARMUP`` iterations run
untimed first. Sampling then stops after ``MAX_SAMPLES`` iterations, or once at least
``MIN_SAMPLES`` were taken and either ``BUDGET_S`` seconds have passed or, for every other kernel,
the ``CONFIDENCE`` interval of its time ratio to kernel 1 (a paired expanded-percentile bootstrap
of the ratio of medians, 200 resamples: the interval :mod:`verifiers.timing.stats` reports, with
more resamples) has a relative half-width below ``TARGET``. ``SEED`` seeds the resampling and the
choice of sampled result elements.

Outputs: ``OUT_DIR/calls.txt`` (``ITERATION KERNEL NANOSECONDS`` per timed call, in call order),
``OUT_DIR/stop.txt`` (why sampling stopped), ``OUT_DIR/inputs_changed.txt`` (``KERNEL NAME`` for
every input a kernel changed), ``OUT_DIR/version.txt`` (the input version of the last iteration),
and ``OUT_DIR/v<i>/NAME.bin``: each kernel's results of its last call. Results longer than
:data:`SAMPLE_LIMIT` elements are written as :data:`SAMPLE_LIMIT` elements at positions
``offset + j * stride`` (see :func:`sample_positions`), taken after sorting for outputs compared
without order.
"""

from __future__ import annotations

import numpy as np

from tasks.dlopen_driver import SUPPORT_SOURCE, pointer_type
from tasks.model import CompareMode, KernelTask, Role

TIMING_SOURCE = "timing.cpp"
CALLS_FILE = "calls.txt"
STOP_FILE = "stop.txt"
INPUTS_FILE = "inputs_changed.txt"
VERSION_FILE = "version.txt"
SAMPLE_LIMIT = 1 << 18
"""Results longer than this many elements are sampled rather than written whole."""


def sample_positions(count: int, seed: int) -> np.ndarray:
    """Indices of the elements the driver writes for a result of ``count`` elements."""
    if count <= SAMPLE_LIMIT:
        return np.arange(count)
    stride = count // SAMPLE_LIMIT
    return seed % stride + stride * np.arange(SAMPLE_LIMIT)


def result_dir(index: int) -> str:
    """Where kernel ``index``'s results go, relative to ``OUT_DIR``."""
    return f"v{index}"


_STOP_RULE = r"""
namespace {

double median(std::vector<double>& values) {
    const size_t n = values.size(), mid = n / 2;
    std::nth_element(values.begin(), values.begin() + mid, values.end());
    const double upper = values[mid];
    if (n % 2) return upper;
    return 0.5 * (upper + *std::max_element(values.begin(), values.begin() + mid));
}

double normal_quantile(double p) {
    double lo = -12, hi = 12;
    for (int i = 0; i < 100; ++i) {
        const double mid = 0.5 * (lo + hi);
        (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
}

// One tail of the expanded percentile interval (see verifiers/timing/stats.py).
double expanded_tail(double confidence, size_t n) {
    const double z = normal_quantile(1 - (1 - confidence) / 2), dof = double(n) - 1;
    const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
    const double t = z + (z3 + z) / (4 * dof) + (5 * z5 + 16 * z3 + 3 * z) / (96 * dof * dof) +
                     (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * dof * dof * dof);
    return 0.5 * std::erfc(std::sqrt(double(n) / dof) * t / std::sqrt(2.0));
}

// Relative half-width of the paired expanded-percentile bootstrap interval of median(a) / median(b).
double ratio_halfwidth(const std::vector<long long>& a, const std::vector<long long>& b, double confidence,
                       unsigned long long& state) {
    const size_t n = a.size();
    constexpr int kResamples = 200;
    std::vector<double> x(a.begin(), a.end()), y(b.begin(), b.end()), ratios(kResamples);
    const double estimate = median(x) / median(y);
    for (int r = 0; r < kResamples; ++r) {
        for (size_t i = 0; i < n; ++i) {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27;
            const size_t j = size_t((state * 2685821657736338717ULL) >> 33) % n;
            x[i] = double(a[j]);
            y[i] = double(b[j]);
        }
        ratios[r] = median(x) / median(y);
    }
    std::sort(ratios.begin(), ratios.end());
    const double tail = expanded_tail(confidence, n);
    const double low = ratios[size_t(tail * kResamples)];
    const double high = ratios[size_t(std::ceil((1 - tail) * kResamples)) - 1];
    return (high - low) / (2 * estimate);
}

}  // namespace
"""

_MAIN_START = r"""
int main(int argc, char** argv) {
    if (argc < 12) die("usage: timing IN OUT WARMUP MIN MAX BUDGET_S TARGET CONFIDENCE SEED LIB_0 LIB_1 [LIB ...]");
    const std::string pf_in = argv[1], pf_out = argv[2];
    const long pf_warmup = std::atol(argv[3]), pf_min = std::atol(argv[4]), pf_max = std::atol(argv[5]);
    const double pf_budget = std::atof(argv[6]), pf_target = std::atof(argv[7]), pf_confidence = std::atof(argv[8]);
    const unsigned long long pf_seed = std::strtoull(argv[9], nullptr, 10);
    unsigned long long pf_state = pf_seed | 1;
    const size_t pf_kernels = size_t(argc - 10);
    if (pf_warmup < 0 || pf_min < 1 || pf_max < pf_min) die("need WARMUP >= 0 and 1 <= MIN_SAMPLES <= MAX_SAMPLES");
    std::vector<pf_kernel_t> pf_fn;
    for (size_t k = 0; k < pf_kernels; ++k)
        pf_fn.push_back(reinterpret_cast<pf_kernel_t>(open_kernel(argv[10 + k], "pf_kernel_" + std::to_string(k))));
"""

_LOOP = r"""
    std::vector<std::vector<long long>> pf_times(pf_kernels);
    std::vector<long long> pf_log;
    const char* pf_stop = "max-samples";
    Clock::time_point pf_started;
    for (long pf_it = 0; ; ++pf_it) {
        if (pf_it == pf_warmup) pf_started = Clock::now();
        pf_version = pf_alternate ? int(pf_it % 2) : 0;
        for (size_t pf_j = 0; pf_j < pf_kernels; ++pf_j) {
            const size_t pf_k = (size_t(pf_it) + pf_j) % pf_kernels;
            pf_restore(pf_k);
            const auto pf_start = Clock::now();
            pf_call(pf_k);
            const auto pf_stop_time = Clock::now();
            if (pf_it >= pf_warmup) {
                pf_times[pf_k].push_back(nanoseconds(pf_start, pf_stop_time));
                pf_log.insert(pf_log.end(), {pf_it - pf_warmup, static_cast<long long>(pf_k), pf_times[pf_k].back()});
            }
        }
        const long pf_samples = pf_it + 1 - pf_warmup;
        if (pf_samples <= 0) continue;
        if (pf_alternate && pf_it % 2 == 0) continue;  // end on the second version: the first call saw the first
        if (pf_samples >= pf_max) break;
        if (pf_samples < pf_min) continue;
        if (std::chrono::duration<double>(Clock::now() - pf_started).count() >= pf_budget) {
            pf_stop = "budget";
            break;
        }
        bool pf_narrow = true;
        for (size_t pf_k = 0; pf_k < pf_kernels; ++pf_k)
            if (pf_k != 1 && ratio_halfwidth(pf_times[pf_k], pf_times[1], pf_confidence, pf_state) > pf_target)
                pf_narrow = false;
        if (pf_narrow) {
            pf_stop = "precision";
            break;
        }
    }

    std::string pf_text;
    for (size_t i = 0; i < pf_log.size(); i += 3)
        pf_text += std::to_string(pf_log[i]) + " " + std::to_string(pf_log[i + 1]) + " " +
                   std::to_string(pf_log[i + 2]) + "\n";
    write_bytes(pf_out + "/calls.txt", pf_text.data(), pf_text.size());
    write_bytes(pf_out + "/stop.txt", pf_stop, std::strlen(pf_stop));
    const std::string pf_final = std::to_string(pf_version);
    write_bytes(pf_out + "/version.txt", pf_final.data(), pf_final.size());
"""

_SAVE_HELPER = r"""
namespace {

// Writes a result (or its sampled elements) of `count` elements of type T.
template <typename T>
void save_result(const std::string& path, const T* data, size_t count, bool sort, unsigned long long seed) {
    std::vector<T> copy(data, data + count);
    if (sort) std::sort(copy.begin(), copy.end());
    if (count <= SAMPLE_LIMIT) {
        write_bytes(path, copy.data(), count * sizeof(T));
        return;
    }
    const size_t stride = count / SAMPLE_LIMIT, offset = seed % stride;
    std::vector<T> picked(SAMPLE_LIMIT);
    for (size_t j = 0; j < SAMPLE_LIMIT; ++j) picked[j] = copy[offset + j * stride];
    write_bytes(path, picked.data(), picked.size() * sizeof(T));
}

}  // namespace
"""


def timing_source(task: KernelTask) -> str:
    """The C++ timing driver for ``task``'s signature (and its comparison modes, for sampling)."""
    signature = task.signature
    load, restore, args, save, check = [], [], [], [], []
    for param in signature.params:
        name, ctype, var = param.name, param.dtype.c_type, f"arg_{param.name}"
        path = f'pf_in + "/{name}.bin"'
        if not param.is_array:
            load.append(f'    const {ctype} {var} = scalar<{ctype}>(read_blob({path}), "{name}");')
            args.append(var)
        elif param.role is Role.input:
            prefix = f'pf_in + "/{name}"'
            load.append(f"    const Blob {var}_initial = read_blob({path});")
            load.append(f"    const unsigned long long {var}_digest = digest({var}_initial);")
            load.append(f"    Patch {var}_patch;")
            load.append(f'    if (file_exists({prefix} + ".alt_index.bin")) {{')
            load.append(f"        {var}_patch.load({prefix}, {var}_initial, sizeof({ctype}));")
            load.append("        pf_alternate = true;")
            load.append("    }")
            load.append(f"    std::vector<Blob> {var};")
            load.append(f"    std::vector<int> {var}_version(pf_kernels, 0);")
            load.append(f"    for (size_t k = 0; k < pf_kernels; ++k) {var}.push_back(copy_blob({var}_initial));")
            load.append(f"    std::free({var}_initial.data);")
            restore.append(f"        {var}_patch.apply({var}[k], &{var}_version[k], pf_version);")
            args.append(f"reinterpret_cast<const {ctype}*>({var}[k].data)")
            note = f'pf_changed += std::to_string(k) + " {name}\\n";'
            check.append(f"        {var}_patch.apply({var}[k], &{var}_version[k], 0);")
            check.append(f"        if (digest({var}[k]) != {var}_digest) {note}")
        else:
            load.append(f"    const Blob {var}_initial = read_blob({path});")
            load.append(f"    std::vector<Blob> {var};")
            load.append(f"    for (size_t k = 0; k < pf_kernels; ++k) {var}.push_back(copy_blob({var}_initial));")
            restore.append(f"        std::memcpy({var}[k].data, {var}_initial.data, {var}_initial.bytes);")
            args.append(f"reinterpret_cast<{ctype}*>({var}[k].data)")
            sort = "true" if task.comparison(name).mode is CompareMode.unordered else "false"
            saved = "uint8_t" if ctype == "bool" else ctype  # std::vector<bool> has no data(); a bool is one byte
            save.append(
                f'        save_result<{saved}>(dir + "/{name}.bin", reinterpret_cast<const {saved}*>({var}[k].data), '
                f"{var}[k].bytes / sizeof({saved}), {sort}, pf_seed);"
            )
    lambdas = [
        "    auto pf_restore = [&](size_t k) {",
        *restore,
        "    };",
        f"    auto pf_call = [&](size_t k) {{ pf_fn[k]({', '.join(args)}); }};",
    ]
    saving = [
        "    std::string pf_changed;",
        "    for (size_t k = 0; k < pf_kernels; ++k) {",
        *check,
        "    }",
        f'    write_bytes(pf_out + "/{INPUTS_FILE}", pf_changed.data(), pf_changed.size());',
        "    for (size_t k = 0; k < pf_kernels; ++k) {",
        '        const std::string dir = pf_out + "/v" + std::to_string(k);',
        "        make_dir(dir);",
        *save,
        "    }",
        "    return 0;",
        "}",
        "",
    ]
    return "\n".join(
        [
            "// Generated from the task signature. Do not edit.",
            SUPPORT_SOURCE,
            f"namespace {{\nconstexpr size_t SAMPLE_LIMIT = {SAMPLE_LIMIT};",
            f"{pointer_type(signature)}\n}}  // namespace",
            _SAVE_HELPER,
            _STOP_RULE,
            _MAIN_START,
            "    bool pf_alternate = false;",
            "    int pf_version = 0;",
            *load,
            *lambdas,
            _LOOP,
            *saving,
        ]
    )


def timing_command(
    out_dir: str,
    in_dir: str,
    libraries: list[str],
    *,
    warmup: int,
    min_samples: int,
    max_samples: int,
    budget_s: float,
    target: float,
    confidence: float,
    seed: int,
    binary: str = "./timing",
) -> list[str]:
    """The argument vector running the built timing driver over ``libraries`` (paths, kernel 0 first)."""
    numbers = [warmup, min_samples, max_samples, f"{budget_s:g}", f"{target:g}", f"{confidence:g}", seed]
    return [binary, in_dir, out_dir, *map(str, numbers), *libraries]
