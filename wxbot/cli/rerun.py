"""The command an editor ran, as they would type it again (for "run … again" hints)."""

from __future__ import annotations

import shlex

import click
from click.core import ParameterSource

#: Where a value counts as given by the editor (an environment variable stays set by itself).
_TYPED = (ParameterSource.COMMANDLINE, ParameterSource.PROMPT)


def command_line(ctx: click.Context) -> str:
    """Return ``wxbot …`` with every argument and option the editor gave to reach ``ctx``."""
    chain: list[click.Context] = []
    current: click.Context | None = ctx
    while current is not None:
        chain.append(current)
        current = current.parent
    words = ["wxbot"]
    for i, context in enumerate(reversed(chain)):
        if i:
            words.append(context.info_name or context.command.name or "")
        words += _given(context)
    return shlex.join(words)


def _given(ctx: click.Context) -> list[str]:
    words: list[str] = []
    for param in ctx.command.params:
        if not param.expose_value or param.name is None:
            continue
        value = ctx.params.get(param.name)
        if isinstance(param, click.Argument):
            values = value if isinstance(value, tuple) else () if value is None else (value,)
            words += [str(v) for v in values]
            continue
        if ctx.get_parameter_source(param.name) not in _TYPED or value is None:
            continue
        option = param.opts[0]
        if isinstance(param, click.Option) and param.is_flag:
            words += [option] if value else param.secondary_opts[:1]
        elif isinstance(value, tuple):
            for item in value:
                words += [option, str(item)]
        else:
            words += [option, str(value)]
    return words
