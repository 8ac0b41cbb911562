"""Command lines of the frameworks configured by flags (Megatron-LM, vLLM).

An option schema (:class:`~verifiers.configs.frameworks.base.FrameworkOptions`) drives both
directions: :func:`render_command` writes a shell script from options, and :func:`parse_options`
reads one back with an argparse parser derived from the same schema, so that an unknown or
malformed option becomes a problem that names it instead of an exit.
"""

from __future__ import annotations

import argparse
import shlex
import types
from typing import Any, Literal, NoReturn, Union, get_args, get_origin

from verifiers.configs.frameworks.base import FrameworkOptions, OptionsT, flag_name, schema_problems


class CommandLineError(ValueError):
    """argparse rejected the command line (bad value, missing value)."""


class _RaisingParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CommandLineError(message)


def _scalar_type(annotation: Any) -> type:
    """The Python type argparse converts a field's text to: ``int | None`` -> int, ``Literal[1, 8]`` -> int."""
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
    if get_origin(annotation) is Literal:
        return type(get_args(annotation)[0])
    return annotation


def _parser(schema: type[FrameworkOptions], positional: tuple[str, ...], negatable_flags: bool) -> _RaisingParser:
    parser = _RaisingParser(prog=schema.__name__, add_help=False, allow_abbrev=False)
    for name, field in schema.model_fields.items():
        kind = _scalar_type(field.annotation)
        if name in positional:
            parser.add_argument(name, type=kind, nargs="?", default=argparse.SUPPRESS)
        elif kind is bool:
            action = argparse.BooleanOptionalAction if negatable_flags else "store_true"
            parser.add_argument(flag_name((name,)), dest=name, action=action, default=argparse.SUPPRESS)
        else:
            parser.add_argument(flag_name((name,)), dest=name, type=kind, default=argparse.SUPPRESS)
    return parser


def _unparsed_problems(unknown: list[str]) -> list[str]:
    problems = []
    after_unknown_option = False
    for token in unknown:
        if token.startswith("-"):
            problems.append(f"{token.split('=')[0]}: unknown option")
            after_unknown_option = True
        elif not after_unknown_option:
            problems.append(f"{token!r}: unexpected argument")
        else:
            after_unknown_option = False
    return problems


def parse_options(
    schema: type[OptionsT],
    tokens: list[str],
    *,
    positional: tuple[str, ...] = (),
    negatable_flags: bool = False,
) -> tuple[OptionsT | None, list[str]]:
    """Parse ``tokens`` into ``schema``; the options (``None`` if they do not validate) and every problem."""
    try:
        namespace, unknown = _parser(schema, positional, negatable_flags).parse_known_args(tokens)
    except CommandLineError as error:
        return None, [str(error)]

    def option_name(location: tuple[int | str, ...]) -> str:
        return str(location[0]) if location and location[0] in positional else flag_name(location)

    options, problems = schema_problems(schema, vars(namespace), option_name)
    return options, _unparsed_problems(unknown) + problems


def _option_tokens(options: FrameworkOptions, positional: tuple[str, ...], negatable_flags: bool) -> list[str]:
    tokens = []
    for name, value in options.model_dump(exclude_unset=True).items():
        if name in positional or value is None:
            continue
        if isinstance(value, bool):
            if value or negatable_flags:
                tokens.append(flag_name((name,)) if value else "--no-" + flag_name((name,))[2:])
        else:
            tokens.append(f"{flag_name((name,))} {shlex.quote(str(value))}")
    return tokens


def render_command(
    program: list[str],
    options: FrameworkOptions,
    comments: list[str],
    *,
    positional: tuple[str, ...] = (),
    negatable_flags: bool = False,
) -> str:
    """A bash script: ``comments`` as ``#`` lines, then ``program`` with one option per continued line.

    Only the options set explicitly when ``options`` was built are written; positional fields follow
    ``program`` in the order given.
    """
    head = " ".join([*program, *(shlex.quote(str(getattr(options, name))) for name in positional)])
    command = " \\\n    ".join([head, *_option_tokens(options, positional, negatable_flags)])
    return "\n".join(["#!/usr/bin/env bash", *(f"# {line}" for line in comments), command]) + "\n"


def command_tokens(text: str) -> list[str]:
    """The words of a one-command shell script: comments dropped, continued lines joined."""
    return shlex.split(text.replace("\\\n", " "), comments=True)
