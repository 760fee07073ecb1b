"""The package's shape, read from its source: what may import what, and who owns which names.

A private name (``_x``) belongs to the module that defines it: other modules use
its public names, or it is moved to a module both can import. Import circles are
refused, function-level imports included, because a lazy import only hides one.
Core modules never reach up into the optional layers (integrations, report, CLI,
test helpers), and TCF stays out of the consent record. The last tests run a fresh
interpreter to check what ``import consentkit`` and the pytest plugin really load.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import consentkit
from tests.helpers import EXAMPLE_CATALOGUE

SRC = Path(consentkit.__file__).parent

#: Private names used across modules on purpose, as ``(module, "owner.name")``; why each.
ALLOWED_PRIVATE = {
    # argparse has no public names for the types of add_subparsers() and of `type=`,
    # and these appear in annotations only.
    ("consentkit.ledger._cli", "argparse._SubParsersAction"),
    ("consentkit.report._cli", "argparse._SubParsersAction"),
    ("consentkit.report._cli", "argparse._ActionType"),
}
#: Private attribute names that are public API of their owner (namedtuple's methods).
PUBLIC_BY_CONVENTION = frozenset({"_replace", "_asdict", "_fields", "_make"})

#: The optional layers; core modules must work without any of them.
UPPER_LAYERS = (
    "consentkit.integrations",
    "consentkit.report",
    "consentkit.cli",
    "consentkit.testing",
    "consentkit.pytest_plugin",
)
CORE = (
    "consentkit.catalogue",
    "consentkit.consent",
    "consentkit.tokens",
    "consentkit.gate",
    "consentkit.engine",
    "consentkit.rewrite",
    "consentkit.html",
    "consentkit.wsgi",
    "consentkit.asgi",
    "consentkit.config",
    "consentkit.cookies",
    "consentkit.endpoints",
    "consentkit.banner",
)


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    is_package: bool
    #: Imports run when the module or one of its functions runs: (line, target module).
    imports: list[tuple[int, str]] = field(default_factory=list)
    #: ``from X import _name``: (line, "X._name").
    private_imports: list[tuple[int, str]] = field(default_factory=list)


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("__")


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk_runtime(node: ast.AST) -> Iterator[ast.AST]:
    """Every node below ``node``, except those under ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            yield from (n for orelse in child.orelse for n in [orelse, *_walk_runtime(orelse)])
            continue
        yield child
        yield from _walk_runtime(child)


def _load() -> dict[str, Module]:
    modules = {}
    for path in sorted(SRC.rglob("*.py")):
        name, is_package = _module_name(path)
        tree = ast.parse(path.read_text("utf-8"), str(path))
        modules[name] = Module(name, path, tree, is_package)
    for module in modules.values():
        package = module.name if module.is_package else module.name.rpartition(".")[0]
        runtime = {id(node) for node in _walk_runtime(module.tree)}
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
                names: list[str] = []
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                names = [alias.name for alias in node.names]
                # `from pkg import submodule` imports the submodule; pkg itself is only
                # its parent, which every import of a submodule loads first anyway.
                submodules = [f"{base}.{n}" for n in names if f"{base}.{n}" in modules]
                targets = submodules if len(submodules) == len(names) else [base, *submodules]
                module.private_imports += [
                    (node.lineno, f"{base}.{n}")
                    for n in names
                    if _is_private(n) and f"{base}.{n}" not in modules
                ]
            else:
                continue
            if id(node) in runtime:
                module.imports += [
                    (node.lineno, target)
                    for target in targets
                    if target.split(".")[0] == "consentkit" and target != module.name
                ]
    return modules


MODULES = _load()


def _own_private_names(tree: ast.Module) -> set[str]:
    """The private names a module defines: on itself, its classes or its objects."""
    own = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            own.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            own.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del):
            own.add(node.attr)
        elif isinstance(node, ast.arg):
            own.add(node.arg)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # __slots__ entries and names given to object.__setattr__.
            own.add(node.value)
    return {name for name in own if name.startswith("_")}


def _foreign_private_uses(module: Module) -> Iterator[tuple[int, str]]:
    yield from module.private_imports
    own = _own_private_names(module.tree)
    for node in ast.walk(module.tree):
        if (
            isinstance(node, ast.Attribute)
            and _is_private(node.attr)
            and node.attr not in own
            and node.attr not in PUBLIC_BY_CONVENTION
        ):
            owner = ast.unparse(node.value)
            yield node.lineno, f"{owner}.{node.attr}"


def _cycles() -> list[list[str]]:
    """Every strongly connected set of modules (Tarjan), each as one import circle."""
    graph = {
        name: sorted({target for _, target in module.imports if target in MODULES})
        for name, module in MODULES.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in graph:
        if name not in index:
            visit(name)
    return found


def _within(name: str, prefixes: tuple[str, ...] | str) -> bool:
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _all_imports(name: str) -> Iterator[tuple[str, int, str]]:
    """Every import in ``name`` and its submodules, TYPE_CHECKING ones included."""
    for module in MODULES.values():
        if not _within(module.name, name):
            continue
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                yield module.name, node.lineno, target


class TestOwnership:
    def test_no_private_name_used_across_modules(self) -> None:
        """No module uses private names of another: imported, or as attributes it doesn't own."""
        found = [
            f"{module.name}:{line}: {use}"
            for module in MODULES.values()
            for line, use in _foreign_private_uses(module)
            if (module.name, use) not in ALLOWED_PRIVATE
        ]
        assert found == []

    def test_allow_list_is_current(self) -> None:
        """Each allowed private use still exists: a fixed one leaves the list."""
        used = {
            (module.name, use)
            for module in MODULES.values()
            for _, use in _foreign_private_uses(module)
        }
        assert ALLOWED_PRIVATE - used == set()


class TestImports:
    def test_no_import_circle(self) -> None:
        """No two modules import each other, even through others or inside functions."""
        assert _cycles() == []

    def test_consent_knows_nothing_of_tcf(self) -> None:
        """The consent record imports no TCF code: TCF maps a Consent, not the reverse."""
        found = [
            f"{where}:{line}: {target}"
            for where, line, target in _all_imports("consentkit.consent")
            if _within(target, "consentkit.tcf")
        ]
        assert found == []

    def test_audit_does_not_use_test_helpers(self) -> None:
        """The audit command does not depend on the helpers written for users' test suites."""
        found = [
            f"{where}:{line}: {target}"
            for where, line, target in _all_imports("consentkit.audit")
            if _within(target, ("consentkit.testing", "consentkit.pytest_plugin"))
        ]
        assert found == []

    @pytest.mark.parametrize("core", CORE)
    def test_core_does_not_reach_up(self, core: str) -> None:
        """A core module imports nothing from integrations, report, CLI or test helpers."""
        found = [
            f"{where}:{line}: {target}"
            for where, line, target in _all_imports(core)
            if _within(target, UPPER_LAYERS)
        ]
        assert found == []


#: What neither ``import consentkit`` nor the pytest plugin may load.
NOT_LOADED = (
    "consentkit.tcf",
    "consentkit.ledger",
    "consentkit.report",
    "matplotlib",
    "psycopg",
    "html5lib",
)

#: Serves a page and records a choice through both middlewares, without TCF.
MIDDLEWARE_RUN = """
import asyncio, json, sys
import httpx
from consentkit import ASGIConsentMiddleware, ConsentConfig, WSGIConsentMiddleware

config = ConsentConfig(catalogue=sys.argv[1], secret_keys=["k" * 32])
PAGE = b"<html><head></head><body>hello</body></html>"

def wsgi_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html")])
    return [PAGE]

async def asgi_app(scope, receive, send):
    headers = [(b"content-type", b"text/html")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": PAGE})

choice = {"action": "accept_all"}
wsgi = httpx.WSGITransport(app=WSGIConsentMiddleware(wsgi_app, config))
with httpx.Client(transport=wsgi, base_url="http://example.com") as client:
    assert client.get("/").status_code == 200
    assert client.post("/_consentkit/consent", json=choice).status_code == 200

async def main():
    asgi = httpx.ASGITransport(app=ASGIConsentMiddleware(asgi_app, config))
    async with httpx.AsyncClient(transport=asgi, base_url="http://example.com") as client:
        assert (await client.get("/")).status_code == 200
        assert (await client.post("/_consentkit/consent", json=choice)).status_code == 200

asyncio.run(main())
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("module", ["consentkit", "consentkit.pytest_plugin"])
def test_import_loads_only_what_it_needs(module: str) -> None:
    """Importing the package or its pytest plugin loads no TCF, report or heavy extra."""
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out)
    assert [name for name in loaded if _within(name, NOT_LOADED)] == []


def test_middleware_without_tcf_loads_no_tcf() -> None:
    """Pages and choices through the WSGI and ASGI middlewares, TCF and ledger off, never
    load TCF or the ledger."""
    out = subprocess.run(
        [sys.executable, "-c", MIDDLEWARE_RUN, str(EXAMPLE_CATALOGUE)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    loaded = json.loads(out)
    assert [name for name in loaded if _within(name, ("consentkit.tcf", "consentkit.ledger"))] == []
