"""The generated C++ test-and-timing driver, one per signature.

Two files come out of a signature:

* ``signature.h`` declares the kernel with C linkage. Every kernel source (the reference or a
  candidate) is compiled with ``-include signature.h``, so a definition whose parameter types
  differ from the declared ones is a different (C++-linkage) function and fails to link.
* ``driver.cpp`` reads every argument from ``IN_DIR/NAME.bin`` (raw little-endian elements),
  calls the kernel ``WARMUP + REPEATS`` times, restoring outputs and inouts to their initial
  contents before every call (outside the timed region), writes the results of the last call to
  ``OUT_DIR/NAME.bin`` and the per-call times to ``OUT_DIR/times_ns.txt``. With the optional
  last argument ``--check-inputs`` it keeps a pristine copy of every input array and, after the
  calls, writes each input the kernel changed (despite its ``const``) to ``OUT_DIR/NAME.bin``.

Buffers are 64-byte aligned and padded, except under AddressSanitizer, where every array gets
exactly its own bytes so that the first element past the end is already an overflow.

Usage of the built program: ``driver IN_DIR OUT_DIR WARMUP REPEATS [--check-inputs]``.
"""

from __future__ import annotations

from tasks.model import Role, Signature

SIGNATURE_HEADER = "signature.h"
DRIVER_SOURCE = "driver.cpp"
TIMES_FILE = "times_ns.txt"
CHECK_INPUTS = "--check-inputs"
"""Optional last driver argument: write back every input array the kernel changed."""


def signature_header(signature: Signature) -> str:
    """The header declaring the kernel with C linkage."""
    return (
        "// Generated from the task signature. Do not edit.\n"
        "#pragma once\n#include <cstdint>\n#include <cstddef>\n\n"
        f'extern "C" {signature.prototype()};\n'
    )


_PRELUDE = r"""// Generated from the task signature. Do not edit.
#include "signature.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& message) {
    std::fprintf(stderr, "driver: %s\n", message.c_str());
    std::exit(2);
}

[[noreturn]] void die_errno(const std::string& message) { die(message + ": " + std::strerror(errno)); }

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PF_EXACT_BUFFERS 1
#endif
#endif

// A 64-byte aligned buffer for `bytes` bytes (never null, even when empty): padded for speed, or
// exact under AddressSanitizer so that any access past the end is reported.
void* allocate(size_t bytes, size_t* usable) {
#ifdef PF_EXACT_BUFFERS
    *usable = bytes ? bytes : 1;
    void* data = nullptr;
    if (posix_memalign(&data, 64, *usable) != 0) data = nullptr;
    return data;
#else
    *usable = ((bytes + 63) / 64 + 1) * 64;
    return std::aligned_alloc(64, *usable);
#endif
}

// Reads IN_DIR/NAME.bin into a fresh aligned buffer.
template <typename T>
T* load(const std::string& dir, const char* name, size_t* count) {
    const std::string path = dir + "/" + name + ".bin";
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) die("cannot open " + path);
    std::fseek(f, 0, SEEK_END);
    const long bytes = std::ftell(f);
    std::fseek(f, 0, SEEK_SET);
    if (bytes < 0 || bytes % sizeof(T) != 0) die(path + " does not hold whole elements");
    size_t usable = 0;
    void* data = allocate(size_t(bytes), &usable);
    if (!data) die(std::string("out of memory loading ") + name);
    std::memset(data, 0, usable);
    if (bytes && std::fread(data, 1, size_t(bytes), f) != size_t(bytes)) die("short read of " + path);
    std::fclose(f);
    *count = size_t(bytes) / sizeof(T);
    return static_cast<T*>(data);
}

template <typename T>
T load_scalar(const std::string& dir, const char* name) {
    size_t count = 0;
    T* data = load<T>(dir, name, &count);
    if (count != 1) die(std::string(name) + " must hold exactly one element");
    T value = *data;
    std::free(data);
    return value;
}

template <typename T>
void store(const std::string& dir, const char* name, const T* data, size_t count) {
    const std::string path = dir + "/" + name + ".bin";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) die_errno("cannot write " + path);
    if (count && std::fwrite(data, sizeof(T), count, f) != count) die_errno("short write of " + path);
    if (std::fclose(f) != 0) die_errno("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
    const bool pf_check_inputs = argc == 6 && std::strcmp(argv[5], "--check-inputs") == 0;
    if (argc != 5 && !pf_check_inputs) die("usage: driver IN_DIR OUT_DIR WARMUP REPEATS [--check-inputs]");
    const std::string pf_in = argv[1], pf_out = argv[2];
    const long pf_warmup = std::atol(argv[3]), pf_repeats = std::atol(argv[4]);
    if (pf_warmup < 0 || pf_repeats < 1) die("WARMUP must be >= 0 and REPEATS >= 1");
"""

_EPILOGUE = r"""
    const std::string pf_times_path = pf_out + "/times_ns.txt";
    FILE* pf_times_file = std::fopen(pf_times_path.c_str(), "w");
    if (!pf_times_file) die("cannot write " + pf_times_path);
    for (long long t : pf_times) std::fprintf(pf_times_file, "%lld\n", t);
    std::fclose(pf_times_file);
    return 0;
}
"""


def driver_source(signature: Signature) -> str:
    """The C++ driver for ``signature``."""
    load, save, restore, check, args = [], [], [], [], []
    for index, param in enumerate(signature.params):
        # Variables are named by position, not by parameter name, so that no parameter name (``x`` next to
        # ``x_count``, or ``argv``) can collide with another parameter's variables or the driver's own.
        name, ctype, var = param.name, param.dtype.c_type, f"pf_arg{index}"
        args.append(var)
        if not param.is_array:
            load.append(f'    const {ctype} {var} = load_scalar<{ctype}>(pf_in, "{name}");')
            continue
        load.append(f"    size_t {var}_count = 0;")
        load.append(f'    {ctype}* {var} = load<{ctype}>(pf_in, "{name}", &{var}_count);')
        if param.role in (Role.output, Role.inout):
            load.append(f'    {ctype}* {var}_initial = load<{ctype}>(pf_in, "{name}", &{var}_count);')
            restore.append(f"        std::memcpy({var}, {var}_initial, {var}_count * sizeof({ctype}));")
            save.append(f'    store<{ctype}>(pf_out, "{name}", {var}, {var}_count);')
        else:
            pristine = f'pf_check_inputs ? load<{ctype}>(pf_in, "{name}", &{var}_count) : nullptr'
            load.append(f"    {ctype}* {var}_pristine = {pristine};")
            check.append(f"        if (std::memcmp({var}, {var}_pristine, {var}_count * sizeof({ctype})) != 0)")
            check.append(f'            store<{ctype}>(pf_out, "{name}", {var}, {var}_count);')
    if check:
        save += ["    if (pf_check_inputs) {", *check, "    }"]
    call = f"{signature.function}({', '.join(args)});"
    loop = [
        "",
        "    std::vector<long long> pf_times;",
        "    for (long pf_r = 0; pf_r < pf_warmup + pf_repeats; ++pf_r) {",
        *restore,
        "        const auto pf_start = std::chrono::steady_clock::now();",
        f"        {call}",
        "        const auto pf_stop = std::chrono::steady_clock::now();",
        "        if (pf_r >= pf_warmup)",
        "            pf_times.push_back(",
        "                std::chrono::duration_cast<std::chrono::nanoseconds>(pf_stop - pf_start).count());",
        "    }",
        "",
    ]
    return _PRELUDE + "\n".join(load + loop + save) + _EPILOGUE
