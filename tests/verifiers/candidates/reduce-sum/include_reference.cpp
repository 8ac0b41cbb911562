// expect: parse parse.forbidden_include
// Tries to reuse the reference implementation.
#include "reference.cpp"
#include "../reference.h"
