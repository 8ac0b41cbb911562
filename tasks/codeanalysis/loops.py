"""Finding loops that can run in parallel, and the data-sharing clauses they need.

The analysis is deliberately simple and syntactic: a loop qualifies when it is in canonical form,
every scalar it writes is either declared inside it, a recognised reduction, or assigned before
use in each iteration, and every array it writes is indexed by one expression of the loop
variable (or, for ``+=``-style updates through indirect indices, made atomic). It may be wrong in
rare cases; every candidate it produces still goes through the race checker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node

from tasks.codeanalysis.syntax import identifiers, text, walk

_LOOPS = ("for_statement", "while_statement", "do_statement")
_REDUCTION_OPS = {"+=": "+", "-=": "+", "*=": "*", "|=": "|", "&=": "&", "^=": "^"}
_MINMAX = {"max": "max", "fmax": "max", "fmaxf": "max", "min": "min", "fmin": "min", "fminf": "min"}
_READ_ONLY_METHODS = frozenset({"data", "size", "begin", "end", "cbegin", "cend", "empty", "front", "back"})
_PURE_FUNCTIONS = frozenset(
    """
    abs fabs sqrt cbrt exp exp2 expm1 log log2 log10 log1p pow sin cos tan asin acos atan atan2 sinh cosh tanh
    erf erfc floor ceil round trunc fma fmin fmax min max hypot isnan isinf lower_bound upper_bound
    """.split()
)


class NotParallel(Exception):
    """Why a loop cannot be parallelized as it is."""


@dataclass
class LoopPlan:
    """How to run one loop in parallel."""

    loop: Node
    var: str
    reductions: dict[str, str] = field(default_factory=dict)
    """Scalar -> reduction operator (``+``, ``*``, ``max``, ...)."""
    privates: list[str] = field(default_factory=list)
    indirect: dict[str, tuple[str | None, list[Node]]] = field(default_factory=dict)
    """Array -> (the reduction operator of all its updates, or None if they differ; the update statements)
    for arrays updated through an indirect index: made ``omp atomic``, or an array-section reduction."""
    collapse: int = 1
    """How many perfectly nested loops may be collapsed into one iteration space."""
    condition: tuple[Node, str] | None = None
    """The loop condition and its canonical rewrite, when OpenMP needs one (``i + 1 < n`` -> ``i < n - (1)``)."""

    @property
    def atomics(self) -> list[Node]:
        """Every statement updating an array element through an indirect index."""
        return [statement for _, statements in self.indirect.values() for statement in statements]


def loop_variable(loop: Node) -> str:
    """The induction variable of a canonical ``for`` loop, or :class:`NotParallel`."""
    init, condition, update = (loop.child_by_field_name(f) for f in ("initializer", "condition", "update"))
    if init is None or condition is None or update is None:
        raise NotParallel("not a canonical for loop (missing init, condition or update)")
    if init.type == "declaration":
        declarators = [c for c in init.named_children if c.type == "init_declarator"]
        if len(declarators) != 1:
            raise NotParallel("loop initialises more than one variable")
        var = text(declarators[0].child_by_field_name("declarator"))
    elif init.type == "assignment_expression":
        var = text(init.child_by_field_name("left"))
    else:
        raise NotParallel("loop initialiser is not a declaration or assignment")
    if condition.type != "binary_expression" or text(condition.child_by_field_name("operator")) not in (
        "<",
        "<=",
        ">",
        ">=",
        "!=",
    ):
        raise NotParallel("loop condition is not a comparison")
    sides = {text(condition.child_by_field_name("left")), text(condition.child_by_field_name("right"))}
    if var not in sides and canonical_condition(condition, var) is None:
        raise NotParallel("loop condition does not compare the loop variable")
    if update.type == "update_expression":
        ok = text(update.child_by_field_name("argument")) == var
    elif update.type == "assignment_expression":
        ok = text(update.child_by_field_name("left")) == var and text(update.child_by_field_name("operator")) in (
            "+=",
            "-=",
        )
    else:
        ok = False
    if not ok:
        raise NotParallel("loop update is not an increment of the loop variable")
    return var


def canonical_condition(condition: Node, var: str) -> str | None:
    """``i < rows - (1)`` for ``i + 1 < rows``: the OpenMP canonical form of an offset comparison, else None."""
    left = condition.child_by_field_name("left")
    if left.type != "binary_expression" or text(left.child_by_field_name("left")) != var:
        return None
    operator = text(left.child_by_field_name("operator"))
    offset = left.child_by_field_name("right")
    if operator not in ("+", "-") or var in identifiers(offset):
        return None
    inverse = "-" if operator == "+" else "+"
    relation = text(condition.child_by_field_name("operator"))
    return f"{var} {relation} {text(condition.child_by_field_name('right'))} {inverse} ({text(offset)})"


def _declared_names(body: Node) -> set[str]:
    names = set()
    for node in walk(body):
        if node.type in ("init_declarator", "declaration"):
            declarator = node.child_by_field_name("declarator")
            while declarator is not None and declarator.type not in ("identifier",):
                declarator = declarator.child_by_field_name("declarator")
            if declarator is not None:
                names.add(text(declarator))
    return names


def _write_target(node: Node) -> tuple[Node, str] | None:
    if node.type == "assignment_expression":
        return node.child_by_field_name("left"), text(node.child_by_field_name("operator"))
    if node.type == "update_expression":
        return node.child_by_field_name("argument"), "++"
    return None


def _base_name(node: Node) -> str | None:
    while node.type == "subscript_expression":
        node = node.child_by_field_name("argument")
    return text(node) if node.type == "identifier" else None


def _index(node: Node) -> Node:
    indices = node.child_by_field_name("indices")
    return indices.named_children[0] if indices is not None and indices.named_children else node


def _reduction_of(var: str, write: Node, op: str) -> str | None:
    """The reduction operator when ``write`` folds a value into ``var``."""
    if op == "++":
        return "+"
    if op in _REDUCTION_OPS:
        right = write.child_by_field_name("right")
        return _REDUCTION_OPS[op] if var not in identifiers(right) else None
    if op != "=":
        return None
    right = write.child_by_field_name("right")
    guarded = _guard_reduction(var, write, right)
    if guarded is not None:
        return guarded
    if right.type == "binary_expression":
        operator = text(right.child_by_field_name("operator"))
        left_operand, right_operand = right.child_by_field_name("left"), right.child_by_field_name("right")
        if operator in ("+", "*") and text(left_operand) == var and var not in identifiers(right_operand):
            return operator
    if right.type == "call_expression":
        name = text(right.child_by_field_name("function")).removeprefix("std::")
        args = right.child_by_field_name("arguments").named_children
        if name in _MINMAX and len(args) == 2 and text(args[0]) == var and var not in identifiers(args[1]):
            return _MINMAX[name]
    return None


def _guard_reduction(var: str, write: Node, value: Node) -> str | None:
    """``min``/``max`` for ``if (value < var) var = value;`` and its mirrored forms."""
    statement = write.parent
    if statement is None or statement.type != "expression_statement":
        return None
    branch = statement.parent
    if branch is not None and branch.type == "compound_statement" and len(branch.named_children) == 1:
        branch = branch.parent
    if branch is None or branch.type != "if_statement" or branch.child_by_field_name("alternative") is not None:
        return None
    condition = branch.child_by_field_name("condition")
    while condition is not None and condition.type in ("condition_clause", "parenthesized_expression"):
        condition = condition.child_by_field_name("value") or condition.named_children[0]
    if condition is None or condition.type != "binary_expression":
        return None
    left, right = text(condition.child_by_field_name("left")), text(condition.child_by_field_name("right"))
    operator = text(condition.child_by_field_name("operator"))
    smaller = {"<": (left, right), "<=": (left, right), ">": (right, left), ">=": (right, left)}.get(operator)
    if smaller is None or var in identifiers(value):
        return None
    if smaller == (text(value), var):
        return "min"
    if smaller == (var, text(value)):
        return "max"
    return None


def _check_control_flow(body: Node) -> None:
    def visit(node: Node, in_nested: bool) -> None:
        for child in node.named_children:
            if child.type in ("return_statement", "goto_statement"):
                raise NotParallel(f"loop body has a {child.type.removesuffix('_statement')}")
            if child.type == "break_statement" and not in_nested:
                raise NotParallel("loop body breaks out of the loop")
            visit(child, in_nested or child.type in (*_LOOPS, "switch_statement"))

    visit(body, False)


def _check_calls(body: Node, local: set[str]) -> None:
    """Refuse calls that may change shared state: methods of shared objects, unknown functions given shared names."""
    for node in walk(body):
        if node.type != "call_expression":
            continue
        function = node.child_by_field_name("function")
        if function.type == "field_expression":
            owner = _base_name(function.child_by_field_name("argument"))
            method = text(function.child_by_field_name("field"))
            if owner is not None and owner not in local and method not in _READ_ONLY_METHODS:
                raise NotParallel(f"loop body calls {method}() on shared object '{owner}'")
            continue
        name = text(function).removeprefix("std::")
        if name in _PURE_FUNCTIONS or function.type == "primitive_type":  # math, or a cast like double(k)
            continue
        arguments = node.child_by_field_name("arguments").named_children
        shared = [text(a) for a in arguments if a.type == "identifier" and text(a) not in local]
        if shared:
            raise NotParallel(f"loop body passes shared '{shared[0]}' to {text(function)}(), which may modify it")


def _check_local_pointers(body: Node, var: str) -> None:
    """A writable pointer declared in the body must point somewhere that depends on the loop variable."""
    dependent = {var}
    for node in walk(body):
        if node.type != "init_declarator":
            continue
        declarator = node.child_by_field_name("declarator")
        value = node.child_by_field_name("value")
        if declarator is None or value is None:
            continue
        if identifiers(value) & dependent:
            name = (
                declarator.child_by_field_name("declarator") if declarator.type == "pointer_declarator" else declarator
            )
            dependent.add(text(name))
        elif declarator.type == "pointer_declarator" and not _is_const_pointee(node.parent):
            raise NotParallel(f"pointer '{text(declarator)}' gives every iteration the same place to write")


def _is_const_pointee(declaration: Node | None) -> bool:
    return declaration is not None and any(
        child.type == "type_qualifier" and text(child) == "const" for child in declaration.children
    )


def analyze_loop(loop: Node, after_loop: str) -> LoopPlan:
    """A plan for running ``loop`` in parallel, or :class:`NotParallel` saying why not.

    ``after_loop`` is the source following the loop in its function, used to tell whether a
    scalar written in the loop is read afterwards.
    """
    var = loop_variable(loop)
    body = loop.child_by_field_name("body")
    _check_control_flow(body)
    local = _declared_names(body)
    _check_calls(body, local | {var})
    _check_local_pointers(body, var)
    plan = LoopPlan(loop=loop, var=var)
    writes: dict[str, list[tuple[Node, Node, str]]] = {}
    for node in walk(body):
        target = _write_target(node)
        if target is None:
            continue
        lhs, op = target
        name = _base_name(lhs)
        if name is None:
            raise NotParallel(f"loop writes through '{text(lhs)}', which cannot be analysed")
        if name == var:
            raise NotParallel("loop body modifies the loop variable")
        if name not in local:
            writes.setdefault(name, []).append((node, lhs, op))
    for name, sites in writes.items():
        if all(lhs.type == "identifier" for _, lhs, _ in sites):
            _plan_scalar(plan, name, sites, body, after_loop)
        elif all(lhs.type == "subscript_expression" for _, lhs, _ in sites):
            _plan_array(plan, name, sites, body)
        else:
            raise NotParallel(f"'{name}' is written both as a scalar and as an array")
    plan.collapse = _collapsible_depth(loop, var)
    condition = loop.child_by_field_name("condition")
    rewrite = canonical_condition(condition, var)
    if rewrite is not None:
        plan.condition = (condition, rewrite)
    return plan


def _plan_scalar(plan: LoopPlan, name: str, sites: list[tuple[Node, Node, str]], body: Node, after: str) -> None:
    ops = {_reduction_of(name, write, op) for write, _, op in sites}
    uses = [n for n in walk(body) if n.type == "identifier" and text(n) == name]
    folded_reads = sum(_folded_reads(name, write, op) for write, _, op in sites)
    if len(ops) == 1 and None not in ops and len(uses) == len(sites) + folded_reads:
        plan.reductions[name] = ops.pop()
        return
    first_use = uses[0]
    first_write, first_lhs, first_op = sites[0]
    assigned_first = first_lhs.start_byte == first_use.start_byte and first_op == "="
    rhs = first_write.child_by_field_name("right")
    if assigned_first and name not in identifiers(rhs) and name not in _identifier_words(after):
        plan.privates.append(name)
        return
    raise NotParallel(f"scalar '{name}' carries a value from one iteration to the next")


def _folded_reads(name: str, write: Node, op: str) -> int:
    """Reads of ``name`` that belong to a reduction's own update (``s = s + x``, ``if (x < m) m = x``)."""
    if op != "=":
        return 0
    right = write.child_by_field_name("right")
    if _guard_reduction(name, write, right) is not None:
        return 1
    return sum(1 for node in walk(right) if node.type == "identifier" and text(node) == name)


_UPDATE_OPERATORS = {"+=": "+", "-=": "+", "++": "+", "*=": "*", "|=": "|", "&=": "&", "^=": "^"}
"""Update operators of indirect array updates, and the reduction operator each amounts to."""


def _plan_array(plan: LoopPlan, name: str, sites: list[tuple[Node, Node, str]], body: Node) -> None:
    accesses = [n for n in walk(body) if n.type == "subscript_expression" and _base_name(n) == name]
    indices = {text(_index(a)) for a in accesses}
    index_nodes = [_index(a) for a in accesses]
    direct = all(not any(n.type == "subscript_expression" for n in walk(i)) for i in index_nodes)
    if len(indices) == 1 and direct and plan.var in identifiers(index_nodes[0]):
        return
    updates = all(op in _UPDATE_OPERATORS for _, _, op in sites)
    if updates and len(accesses) == len(sites):
        statements = []
        for write, _, _ in sites:
            statement = write.parent
            if statement.type != "expression_statement":
                raise NotParallel(f"update of '{name}' is not a statement of its own")
            statements.append(statement)
        operators = {_UPDATE_OPERATORS[op] for _, _, op in sites}
        plan.indirect[name] = (operators.pop() if len(operators) == 1 else None, statements)
        return
    raise NotParallel(f"array '{name}' is written at indices other iterations may use")


def _collapsible_depth(loop: Node, var: str) -> int:
    body = loop.child_by_field_name("body")
    statements = body.named_children if body.type == "compound_statement" else [body]
    if len(statements) != 1 or statements[0].type != "for_statement":
        return 1
    inner = statements[0]
    try:
        loop_variable(inner)
    except NotParallel:
        return 1
    bounds = [inner.child_by_field_name(f) for f in ("initializer", "condition")]
    if any(var in identifiers(b) for b in bounds):
        return 1
    return 2


def _identifier_words(source: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source))


def parallel_loops(function: Node) -> list[LoopPlan]:
    """The outermost loops of ``function`` that can run in parallel, each with its plan."""
    body = function.child_by_field_name("body")
    source_end = function.end_byte
    plans: list[LoopPlan] = []

    def visit(node: Node) -> None:
        for child in node.named_children:
            if child.type == "for_statement":
                after = function.text[child.end_byte - function.start_byte : source_end - function.start_byte]
                try:
                    plans.append(analyze_loop(child, after.decode()))
                    continue
                except NotParallel:
                    pass
            visit(child)

    visit(body)
    return plans
