"""The model definition as sympy expressions, and its analytic Jacobian as generated source.

The rates of :mod:`tregsim.model.definition` are parsed by sympy with every assignment substituted, so
the Jacobian d(rate_i)/d(state_j) is exact (no finite differences) and is derived from the very text the
solvers and the SBML export use.  Common subexpressions are shared (``sympy.cse``) in the generated code.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from tregsim.model.definition import ASSIGNMENTS, PARAMETER_ORDER, STATES

#: floor of the states inside the Jacobian (see :func:`jacobian_source`)
TINY = 1e-150


def _namespace() -> dict[str, sp.Symbol]:
    names = [s.name for s in STATES] + list(PARAMETER_ORDER)
    ns = {n: sp.Symbol(n, real=True) for n in names}
    ns["pow"] = sp.Pow
    return ns


@lru_cache(maxsize=None)
def rates() -> tuple[tuple[sp.Symbol, ...], tuple[sp.Expr, ...]]:
    """(state symbols, rate expressions with every assignment substituted), in definition order."""
    ns = _namespace()
    local = dict(ns)
    for a in ASSIGNMENTS:
        local[a.name] = sp.sympify(a.expr, locals=local)
    states = tuple(ns[s.name] for s in STATES)
    return states, tuple(sp.sympify(s.rate, locals=local) for s in STATES)


@lru_cache(maxsize=None)
def jacobian_matrix() -> sp.Matrix:
    """d(rate_i)/d(state_j), symbolic."""
    states, exprs = rates()
    return sp.Matrix(exprs).jacobian(sp.Matrix(states))


def _python(expr: sp.Expr) -> str:
    from sympy.printing.pycode import PythonCodePrinter

    class _Printer(PythonCodePrinter):
        def _print_Pow(self, e, rational=False):  # plain ** (numba and CUDA compile it)
            base, exp = e.as_base_exp()
            if exp == -1:
                return f"(1.0/({self._print(base)}))"
            if exp == 2:
                b = self._print(base)
                return f"(({b})*({b}))"
            if exp.free_symbols:  # a parameter as exponent (Hill coefficients): the engine's pow
                return f"pow({self._print(base)}, {self._print(exp)})"
            return f"(({self._print(base)})**({self._print(exp)}))"

        def _print_Rational(self, e):
            return f"({float(e.p)}/{float(e.q)})"

        def _print_Integer(self, e):
            return f"{float(e)}"

    return _Printer({"standard": "python3"}).doprint(expr)


def jacobian_source(name: str = "jac") -> str:
    """Python source of ``name(y, p, J)``: fills the dense Jacobian ``J`` (n_states x n_states) in place.

    Entries that are identically zero are written once as 0; the rest share subexpressions.
    """
    every = tuple(range(len(STATES)))
    return block_jacobian_source(name, every, every, ())


def block_jacobian_source(name: str, rows: tuple[int, ...], cols: tuple[int, ...], ucols: tuple[int, ...]) -> str:
    """Python source of the Jacobian of the rates ``rows`` (state indices, definition order) of a subsystem.

    Without ``ucols``: ``name(y, p, J)``, ``y`` holding the states ``cols`` in that order, ``J`` (len(rows),
    len(cols)) = d rate_rows / d state_cols.  With ``ucols`` (states the subsystem reads but does not
    integrate: the drug signal of :mod:`tregsim.engine.structure`): ``name(y, u, p, J, Ju)``, ``u`` holding
    the states ``ucols``, ``Ju`` (len(rows), len(ucols)) = d rate_rows / d state_ucols.  Every rate of
    ``rows`` must read only the states of ``cols`` and ``ucols``.
    """
    jm = jacobian_matrix()
    states = [s.name for s in STATES]
    blocks = [("J", cols)] + ([("Ju", ucols)] if ucols else [])
    entries = [(m, a, b, jm[i, j]) for m, cs in blocks for a, i in enumerate(rows) for b, j in enumerate(cs)
               if jm[i, j] != 0]
    replacements, reduced = sp.cse([e for *_, e in entries], symbols=sp.numbered_symbols("_x"),
                                   optimizations="basic")
    used = set().union(set(), *(e.free_symbols for e in reduced), *(v.free_symbols for _, v in replacements))
    used_names = {s.name for s in used}
    outside = used_names & (set(states) - {states[i] for i in (*cols, *ucols)})
    if outside:
        raise ValueError(f"the rates {[states[i] for i in rows]} read states outside the subsystem: {sorted(outside)}")
    lines = [f"def {name}(y, u, p, J, Ju):" if ucols else f"def {name}(y, p, J):"]
    # states are read with a tiny positive floor: sympy writes d(x^h)/dx as h x^h / x, which is 0/0 at x = 0
    # (no cells in a compartment yet); at the floor it is its limit, 0 for h > 1
    for arg, cs in (("y", cols), ("u", ucols)):
        lines += [f"    {states[i]} = max({arg}[{k}], {TINY!r})" for k, i in enumerate(cs) if states[i] in used_names]
    lines += [f"    {q} = p[{k}]" for k, q in enumerate(PARAMETER_ORDER) if q in used_names]
    for sym, value in replacements:
        lines.append(f"    {sym} = {_python(value)}")
    for m, cs in blocks:
        lines.append(f"    for i in range({len(rows)}):")
        lines.append(f"        for j in range({len(cs)}):")
        lines.append(f"            {m}[i, j] = 0.0")
    for (m, a, b, _), e in zip(entries, reduced):
        lines.append(f"    {m}[{a}, {b}] = {_python(e)}")
    return "\n".join(lines) + "\n"


def cached_jacobian_source(name: str = "jac", block: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] | None = None
                           ) -> str:
    """:func:`jacobian_source` (or, with ``block`` = (rows, cols, ucols), :func:`block_jacobian_source`), kept
    on disk beside the engine modules and keyed by the definition's text and this module's (sympy's
    derivation takes a second or two; a change of either gets a new key)."""
    import hashlib
    import os

    from tregsim.engine.build import cache_dir

    from pathlib import Path

    generator = Path(__file__).read_text(encoding="utf-8")  # a changed generator gets a new key too
    text = "\n".join([name, repr(block), generator, *PARAMETER_ORDER, *(f"{a.name}={a.expr}" for a in ASSIGNMENTS),
                       *(f"{s.name}'={s.rate}" for s in STATES), sp.__version__])
    path = cache_dir() / f"jacobian_{hashlib.sha256(text.encode()).hexdigest()[:16]}.py"
    if path.exists():
        return path.read_text(encoding="utf-8")
    source = jacobian_source(name) if block is None else block_jacobian_source(name, *block)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.write_text(source, encoding="utf-8")
    partial.replace(path)
    return source
