"""Taking source out of model replies."""

from __future__ import annotations

import pytest

from agents.proposers.extract import ExtractionError, extract_source

PARENT = """#include <cstdint>
void scale(const double* x, int64_t n, double* y) {
    for (int64_t i = 0; i < n; ++i) y[i] = 2 * x[i];
}
"""


def test_last_fenced_block_defining_the_function_wins():
    reply = (
        "Plan first:\n```cpp\nint helper();\n```\n"
        "Draft:\n```cpp\nvoid scale(const double* x, int64_t n, double* y) {}\n```\n"
        "Final:\n```c++\n#include <cstdint>\nvoid scale(const double* x, int64_t n, double* y) { /* v2 */ }\n```"
    )
    assert "v2" in extract_source(reply, "scale")


def test_search_replace_edits_apply_to_the_parent():
    reply = (
        "<<<<<<< SEARCH\n    for (int64_t i = 0; i < n; ++i) y[i] = 2 * x[i];\n=======\n"
        "    #pragma omp parallel for\n    for (int64_t i = 0; i < n; ++i) y[i] = 2 * x[i];\n>>>>>>> REPLACE\n"
    )
    source = extract_source(reply, "scale", parent=PARENT)
    assert "#pragma omp parallel for\n    for" in source


def test_edits_tolerate_whitespace_differences():
    reply = (
        "<<<<<<< SEARCH\nfor (int64_t i = 0; i < n; ++i)\n   y[i] = 2 * x[i];\n=======\n// replaced\n>>>>>>> REPLACE"
    )
    assert "// replaced" in extract_source(reply, "scale", parent=PARENT)


@pytest.mark.parametrize(
    ("reply", "parent", "message"),
    [
        ("I think you should use OpenMP.", None, "no code block"),
        ("```cpp\nvoid other() {}\n```", None, "defines the function `scale`"),
        ("<<<<<<< SEARCH\nnot in source\n=======\nx\n>>>>>>> REPLACE", PARENT, "does not match"),
        ("<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE", None, "no earlier version"),
    ],
)
def test_unusable_replies_become_feedback(reply, parent, message):
    with pytest.raises(ExtractionError, match=message):
        extract_source(reply, "scale", parent=parent)
