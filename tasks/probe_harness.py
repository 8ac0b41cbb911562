"""The generated anti-cheat probe driver: a kernel called over a scripted plan, with guarded buffers.

Usage of the built program::

    probe LIB SYMBOL IN_ROOT OUT_DIR PLAN [REFERENCE_LIB REFERENCE_SYMBOL]

The kernel ``SYMBOL`` is loaded from the shared library ``LIB``, and the reference (for
``prefill`` steps) likewise. ``IN_ROOT/INSTANCE/NAME.bin`` hold the arguments of each problem
instance the plan names (outputs as their initial, poisoned contents). ``PLAN`` is a text file of
steps, one a line:

* ``call INSTANCE SLOT SAVE TAG [keep]``: copy the instance's arguments into buffer set ``SLOT``,
  call the kernel on them, time the call, and check the buffers; with ``SAVE`` = 1, write the
  results to ``OUT_DIR/TAG/NAME.bin``. With ``keep``, output-only arrays are not copied: they
  hold what the slot's last step left in them (unless that is not the instance's size).
* ``prefill INSTANCE SLOT``: copy the instance's arguments into buffer set ``SLOT`` and call the
  reference on them, untimed and unlogged, leaving its results in the outputs.
* ``sleep MILLISECONDS``.

Every array lives in its own guarded allocation: a page of canary bytes before the data and at
least a page after it, starting at the byte just past the data's end. Input arrays are read-only
(``mprotect``) while a kernel runs: writing one kills the program with exit code
:data:`READONLY_EXIT` and a message naming the array. After every call the driver checks every
canary of every buffer set and compares the inputs with their pristine copies. Buffer sets keep
their addresses for the whole run, so a kernel that caches results by pointer is called again at
the same addresses with different contents.

``OUT_DIR/calls.txt`` gets one line per call, written as it happens: ``TAG NANOSECONDS STATUS``
where ``STATUS`` is ``ok``, ``guard:NAME`` (a canary of array NAME was overwritten) or
``input:NAME`` (input NAME changed).
"""

from __future__ import annotations

from tasks.dlopen_driver import SUPPORT_SOURCE, pointer_type
from tasks.model import Role, Signature

PROBE_SOURCE = "probe.cpp"
PROBE_CALLS = "calls.txt"
READONLY_EXIT = 86
"""Exit code of the probe when a kernel wrote to a read-only input."""
CANARY = 0x5C

_GUARDS = r"""
namespace {

constexpr unsigned char kCanary = CANARY_BYTE;

// One array argument in its guarded allocation: [page of canary][data][canary to the end].
struct Guarded {
    const char* name = "";
    bool input = false;
    bool output = false;
    char* base = nullptr;
    size_t total = 0;
    char* data = nullptr;
    size_t bytes = 0;
    bool used = false;

    void allocate(const char* param, bool is_input, bool is_output, size_t capacity) {
        name = param;
        input = is_input;
        output = is_output;
        total = kPage + round_up(capacity, kPage) + kPage;
        base = alloc_pages(total - kPage);
        data = base + kPage;
    }
    void fill(const Blob& from) {
        if (input) mprotect(data, total - kPage, PROT_READ | PROT_WRITE);
        bytes = from.bytes;
        used = true;
        std::memset(base, kCanary, kPage);
        std::memcpy(data, from.data, bytes);
        std::memset(data + bytes, kCanary, total - kPage - bytes);
        if (input) mprotect(data, total - kPage, PROT_READ);
    }
    bool guards_intact() const {
        if (!used) return true;
        for (size_t i = 0; i < kPage; ++i) if ((unsigned char)base[i] != kCanary) return false;
        for (char* p = data + bytes; p < base + total; ++p) if ((unsigned char)*p != kCanary) return false;
        return true;
    }
    bool holds(const char* address) const { return address >= data && address < base + total; }
    // Whether a `keep` call leaves this array as it is: an output-only array holding `from`'s size.
    bool kept(const Blob& from, bool keep) const { return keep && output && used && bytes == from.bytes; }
};

std::vector<Guarded*> g_inputs;
char g_message[512];

void on_fault(int, siginfo_t* info, void*) {
    const char* address = static_cast<const char*>(info->si_addr);
    for (const Guarded* buffer : g_inputs) {
        if (!buffer->holds(address)) continue;
        int length = std::snprintf(g_message, sizeof g_message, "probe: the kernel wrote to read-only input '%s'\n",
                                   buffer->name);
        const ssize_t written = write(2, g_message, size_t(length));
        _exit(written >= 0 ? READONLY_EXIT : READONLY_EXIT + 1);
    }
    signal(SIGSEGV, SIG_DFL);
}

struct Instance {
    std::vector<Blob> arrays;
    std::vector<Blob> scalars;
};

// A call of `fn` on `instance`'s scalars and the arrays of buffer set `set`, ready to make.
auto bind_kernel(pf_kernel_t fn, const Instance& instance, std::vector<Guarded>& set) {
@BIND@
}

}  // namespace
"""

_MAIN = r"""
int main(int argc, char** argv) {
    if (argc != 6 && argc != 8) die("usage: probe LIB SYMBOL IN_ROOT OUT_DIR PLAN [REFERENCE_LIB REFERENCE_SYMBOL]");
    const auto pf_fn = reinterpret_cast<pf_kernel_t>(open_kernel(argv[1], argv[2]));
    const auto pf_reference = argc == 8 ? reinterpret_cast<pf_kernel_t>(open_kernel(argv[6], argv[7])) : nullptr;
    const std::string pf_root = argv[3], pf_out = argv[4];
    struct sigaction pf_action {};
    pf_action.sa_sigaction = on_fault;
    pf_action.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &pf_action, nullptr);

    struct Step { std::string op, instance; long slot = 0, save = 0; std::string tag; bool keep = false; };
    std::vector<Step> pf_plan;
    {
        const Blob text = read_blob(argv[5]);
        std::string line;
        for (size_t i = 0; i <= text.bytes; ++i) {
            if (i < text.bytes && text.data[i] != '\n') { line += text.data[i]; continue; }
            char op[16], instance[128], tag[128], keep[16];
            long slot = 0, save = 0;
            const int fields =
                std::sscanf(line.c_str(), "call %127s %ld %ld %127s %15s", instance, &slot, &save, tag, keep);
            if (fields == 4 || (fields == 5 && std::strcmp(keep, "keep") == 0))
                pf_plan.push_back({"call", instance, slot, save, tag, fields == 5});
            else if (std::sscanf(line.c_str(), "prefill %127s %ld", instance, &slot) == 2 && pf_reference)
                pf_plan.push_back({"prefill", instance, slot, 0, ""});
            else if (std::sscanf(line.c_str(), "sleep %ld", &slot) == 1)
                pf_plan.push_back({"sleep", "", slot, 0, ""});
            else if (std::sscanf(line.c_str(), "%15s", op) == 1)
                die("bad plan line (or a prefill step without a reference): " + line);
            line.clear();
        }
    }

    std::vector<std::string> pf_names;
    std::vector<Instance> pf_instances;
    long pf_slots = 0;
    for (const Step& step : pf_plan) {
        if (step.op == "sleep") continue;
        pf_slots = std::max(pf_slots, step.slot + 1);
        if (std::find(pf_names.begin(), pf_names.end(), step.instance) != pf_names.end()) continue;
        pf_names.push_back(step.instance);
        const std::string dir = pf_root + "/" + step.instance + "/";
        Instance instance;
@LOAD_INSTANCE@
        pf_instances.push_back(instance);
    }
    std::vector<size_t> pf_capacity(@PF_ARRAYS@, 0);
    for (const Instance& instance : pf_instances)
        for (size_t a = 0; a < @PF_ARRAYS@; ++a) pf_capacity[a] = std::max(pf_capacity[a], instance.arrays[a].bytes);
    std::vector<std::vector<Guarded>> pf_sets(size_t(pf_slots), std::vector<Guarded>(@PF_ARRAYS@));
    for (auto& set : pf_sets) {
@ALLOCATE@
        for (Guarded& buffer : set) if (buffer.input) g_inputs.push_back(&buffer);
    }

    FILE* pf_log = std::fopen((pf_out + "/calls.txt").c_str(), "w");
    if (!pf_log) die("cannot write calls.txt");
    for (const Step& step : pf_plan) {
        if (step.op == "sleep") {
            usleep(useconds_t(step.slot * 1000));
            continue;
        }
        const size_t index = size_t(std::find(pf_names.begin(), pf_names.end(), step.instance) - pf_names.begin());
        const Instance& instance = pf_instances[index];
        std::vector<Guarded>& set = pf_sets[size_t(step.slot)];
        for (size_t a = 0; a < @PF_ARRAYS@; ++a)
            if (!set[a].kept(instance.arrays[a], step.keep)) set[a].fill(instance.arrays[a]);
        const auto pf_call = bind_kernel(step.op == "prefill" ? pf_reference : pf_fn, instance, set);
        if (step.op == "prefill") {
            pf_call();
            continue;
        }
        const auto start = Clock::now();
        pf_call();
        const auto stop = Clock::now();
        std::string status = "ok";
        for (const auto& other : pf_sets)
            for (const Guarded& buffer : other)
                if (status == "ok" && !buffer.guards_intact()) status = std::string("guard:") + buffer.name;
        for (size_t a = 0; a < @PF_ARRAYS@; ++a)
            if (status == "ok" && set[a].input && std::memcmp(set[a].data, instance.arrays[a].data, set[a].bytes) != 0)
                status = std::string("input:") + set[a].name;
        std::fprintf(pf_log, "%s %lld %s\n", step.tag.c_str(), nanoseconds(start, stop), status.c_str());
        std::fflush(pf_log);
        if (step.save) {
            const std::string dir = pf_out + "/" + step.tag;
            make_dir(dir);
@SAVE@
        }
    }
    std::fclose(pf_log);
    return 0;
}
"""


def _flag(value: bool) -> str:
    return "true" if value else "false"


def probe_source(signature: Signature) -> str:
    """The C++ probe driver for ``signature``."""
    load, allocate, bind, args, save = [], [], [], [], []
    arrays = [p for p in signature.params if p.is_array]
    scalars = [p for p in signature.params if not p.is_array]
    for param in arrays:
        load.append(f'        instance.arrays.push_back(read_blob(dir + "{param.name}.bin"));')
    for param in scalars:
        load.append(f'        instance.scalars.push_back(read_blob(dir + "{param.name}.bin"));')
    for a, param in enumerate(arrays):
        roles = f"{_flag(param.role is Role.input)}, {_flag(param.role is Role.output)}"
        allocate.append(f'        set[{a}].allocate("{param.name}", {roles}, pf_capacity[{a}]);')
        if param.role is not Role.input:
            save.append(f'            write_bytes(dir + "/{param.name}.bin", set[{a}].data, set[{a}].bytes);')
    for param in signature.params:
        ctype = param.dtype.c_type
        if not param.is_array:
            value = f'scalar<{ctype}>(instance.scalars[{scalars.index(param)}], "{param.name}")'
        else:
            const = "const " if param.role is Role.input else ""
            value = f"reinterpret_cast<{const}{ctype}*>(set[{arrays.index(param)}].data)"
        bind.append(f"    const auto arg_{param.name} = {value};")
        args.append(f"arg_{param.name}")
    bind.append(f"    return [=] {{ fn({', '.join(args)}); }};")
    main = (
        _MAIN.replace("@LOAD_INSTANCE@", "\n".join(load))
        .replace("@ALLOCATE@", "\n".join(allocate))
        .replace("@SAVE@", "\n".join(save))
        .replace("@PF_ARRAYS@", str(len(arrays)))
    )
    guards = (
        _GUARDS.replace("CANARY_BYTE", hex(CANARY))
        .replace("READONLY_EXIT", str(READONLY_EXIT))
        .replace("@BIND@", "\n".join(bind))
    )
    return "\n".join(
        [
            "// Generated from the task signature. Do not edit.",
            "#include <csignal>",
            SUPPORT_SOURCE,
            f"namespace {{\n{pointer_type(signature)}\n}}  // namespace",
            guards,
            main,
        ]
    )
