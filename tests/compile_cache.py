"""What every test app would compile again, compiled once per test process.

The suite builds a fresh app per test (flaskr's pattern), about 1,700 of them, all with the same URL
rules and templates. Two compilations made each `create_app` cost 75 ms where 15 ms remain, and were a
fifth of the integration tests' CPU time (py-spy, 2026-12-01):
- werkzeug compiles two Python functions per URL rule (its URL builders) each time a rule is bound;
- Jinja compiles each template the first time each app renders it.
Neither changes what the app does: the routes are matched and built by werkzeug's own code, and the
templates are rendered by Jinja from the same code objects it would have compiled.
"""

from __future__ import annotations

from jinja2 import BytecodeCache
from werkzeug.routing.rules import Rule


def share_url_builders() -> None:
    """Cache werkzeug's URL builders by everything their code is made of.

    `Rule._compile_builder` turns the rule's parsed parts, its defaults (passed through its converters)
    and `append_unknown` into a function that takes the rule as its first argument; the function reads
    nothing else from the rule it was compiled for, so a rule of another app with the same key can use it.
    If werkzeug ever changes this method's name, nothing is cached and the tests are only slower."""
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "shared", False):
        return
    builders: dict = {}

    def shared_builder(rule: Rule, append_unknown: bool = True):
        converters = tuple(sorted((name, type(c).__qualname__, c.regex) for name, c in rule._converters.items()))
        defaults = tuple(sorted((rule.defaults or {}).items()))
        key = (rule.rule, tuple(rule._trace), defaults, converters, append_unknown)
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(rule, append_unknown)
        return builder

    shared_builder.shared = True
    Rule._compile_builder = shared_builder


class SharedBytecodeCache(BytecodeCache):
    """Jinja's own bytecode cache, in memory and shared by every app of the process. Jinja keys each
    entry by the template's name and checks its source's checksum on every load, so an edited template
    is compiled again."""

    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.entries:
            bucket.bytecode_from_string(self.entries[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.entries[bucket.key] = bucket.bytecode_to_string()
