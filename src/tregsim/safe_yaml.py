"""Reading a protocol's YAML text safely: bounded, strict, and never executing anything.

:func:`read_yaml` is PyYAML's ``safe_load`` (no tag is ever executed: ``!!python/object`` and every other
non-standard tag is refused by name) with these additions, all checked on the composed node graph
before any Python value is built:

* nesting deeper than :data:`~tregsim.limits.MAX_DEPTH` is refused while composing, before Python's
  stack could overflow;
* a document holding more than :data:`~tregsim.limits.MAX_VALUES` values once aliases are expanded (an
  "alias bomb") or an alias that contains itself is refused without expanding it;
* a key given twice in one mapping is refused (PyYAML silently keeps the last);
* numbers in exponent form without a decimal point (``1e3``) are numbers, as in YAML 1.2, not text.

Every problem raises :class:`~tregsim.errors.ProtocolError` with the line and column, the field path and
a bounded excerpt of the value.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tregsim.errors import NOTHING, ProtocolError, excerpt
from tregsim.limits import MAX_DEPTH, MAX_VALUES

_CORE = "tag:yaml.org,2002:"
#: Tags a protocol may carry (explicitly or implicitly): PyYAML's safe constructors, merge keys and '='.
ALLOWED_TAGS = frozenset(t for t in yaml.SafeLoader.yaml_constructors if t is not None) | {
    _CORE + "merge", _CORE + "value"}
_SHOWN_AS_WRITTEN = {_CORE + "int", _CORE + "float", _CORE + "bool", _CORE + "null"}

Path = tuple[Any, ...]


def field_path(parts: Path, limit: int = 60) -> str:
    """``("regimens", 0, "dose")`` -> ``regimens[0].dose``; long paths keep their ends around ``...``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    if len(out) > limit:
        out = out[: limit // 2] + "..." + out[-(limit // 2):]
    return out


def _at(node_or_mark: Any) -> str:
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _tag_shown(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag


def _node_shown(node: Node) -> str:
    """A bounded excerpt of a node as written (numbers and true/false/null unquoted)."""
    if isinstance(node, ScalarNode):
        return node.value if node.tag in _SHOWN_AS_WRITTEN and len(node.value) <= 40 else excerpt(node.value)
    return "[...]" if isinstance(node, SequenceNode) else "{...}"


def _key_of(node: Node) -> Any:
    return node.value if isinstance(node, ScalarNode) else "<key>"


class _Loader(yaml.SafeLoader):
    """SafeLoader that bounds nesting while composing and knows where it is (for messages)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.path: list[Any] = []

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if parent is not None:
            if isinstance(parent, SequenceNode):
                self.path.append(index)
            else:
                self.path.append("<key>" if index is None else _key_of(index))
        try:
            if len(self.path) > MAX_DEPTH:
                event = self.peek_event()
                raise ProtocolError(self.name, field_path(tuple(self.path)), NOTHING,
                                    f"lists and mappings nest at most {MAX_DEPTH} levels deep (limit MAX_DEPTH)",
                                    where=_at(event.start_mark), shown=f"nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            if parent is not None:
                self.path.pop()


# YAML 1.2 floats: exponent form without a decimal point (1e3, 5E-2) is a number, not text.
_Loader.add_implicit_resolver(_CORE + "float", re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
                              list("-+0123456789"))


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _expanded_sizes(root: Node, source: str) -> dict[int, int]:
    """Values under each node once aliases are expanded (memoised, so never expanded); refuses cycles."""
    size: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        nid = id(node)
        if done:
            open_.discard(nid)
            size[nid] = 1 + sum(size[id(c)] for c in _children(node))
            continue
        if nid in size:
            continue
        open_.add(nid)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in open_:
                raise ProtocolError(source, "", NOTHING, "not valid protocol YAML: an alias refers to a list or mapping "
                                    "that contains it (a recursive structure)", where=_at(child))
            if id(child) not in size:
                stack.append((child, False))
    return size


def _check_size(root: Node, size: dict[int, int], source: str) -> None:
    if size[id(root)] <= MAX_VALUES:
        return
    field, worst = "", root
    if isinstance(root, MappingNode) and root.value:
        key, worst = max(root.value, key=lambda kv: size[id(kv[1])])
        field = str(_key_of(key))
    raise ProtocolError(source, field, NOTHING,
                        f"a protocol holds at most {MAX_VALUES:,} values once YAML aliases are expanded "
                        "(limit MAX_VALUES)", where=_at(worst),
                        shown=f"<{size[id(worst)]:,} values after expanding aliases>")


def _check_nodes(root: Node, source: str) -> None:
    """Tags and duplicate keys, with the path of each node (the tree is small: its size was checked)."""
    stack: list[tuple[Node, Path]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if node.tag not in ALLOWED_TAGS:
            raise ProtocolError(source, field_path(path), NOTHING,
                                f"YAML tag {_tag_shown(node.tag)} is refused: tags are never executed; give plain "
                                "YAML values (numbers, text, true/false, null, lists, mappings)",
                                where=_at(node), shown=f"{_tag_shown(node.tag)} {_node_shown(node)}"[:80])
        if isinstance(node, MappingNode):
            seen: dict[tuple[str, str], Node] = {}
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.tag != _CORE + "merge":
                    first = seen.setdefault((key.tag, key.value), key)
                    if first is not key:
                        raise ProtocolError(source, field_path(path + (key.value,)), NOTHING,
                                            f"duplicate key: '{excerpt(key.value, 40)[1:-1]}' is also given at "
                                            f"{_at(first)}; give each field once", where=_at(key),
                                            shown=_node_shown(value))
                stack.append((value, path + (_key_of(key),)))
                stack.append((key, path + ("<key>",)))
        elif isinstance(node, SequenceNode):
            stack.extend((item, path + (i,)) for i, item in reversed(list(enumerate(node.value))))


def _reader_error(err: yaml.reader.ReaderError, text: str, source: str) -> ProtocolError:
    pos = max(0, min(int(err.position), len(text)))
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    char = err.character
    if isinstance(char, int):
        code = char
    elif isinstance(char, str) and char:
        code = ord(char[0])
    else:
        code = char[0] if isinstance(char, bytes) and char else 0
    name = " (NUL)" if code == 0 else ""
    return ProtocolError(source, "", NOTHING, f"not valid YAML text: unacceptable character #x{code:04x}{name}; "
                         "a protocol is plain UTF-8 text without control characters",
                         where=f"line {line}, column {column}")


def read_yaml(text: str, source: str) -> Any:
    """Parse one YAML document safely; the Python value (None for an empty document).

    Raises:
        ProtocolError: not YAML, a refused tag, a duplicate key, or beyond the structure limits.
    """
    try:
        loader = _Loader(text)  # the reader checks every character here
    except yaml.reader.ReaderError as err:
        raise _reader_error(err, text, source) from None
    loader.name = source
    try:
        try:
            root = loader.get_single_node()
        except yaml.reader.ReaderError as err:
            raise _reader_error(err, text, source) from None
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            problem = err.problem or err.context or "not YAML"
            raise ProtocolError(source, "", NOTHING, f"not valid YAML: {problem}",
                                where=_at(mark) if mark else None) from None
        except yaml.YAMLError as err:
            raise ProtocolError(source, "", NOTHING, f"not valid YAML: {' '.join(str(err).split())[:120]}") from None
        if root is None:
            return None
        _check_size(root, _expanded_sizes(root, source), source)
        _check_nodes(root, source)
        try:
            return loader.construct_document(root)
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            raise ProtocolError(source, "", NOTHING, f"not valid YAML: {err.problem or err.context}",
                                where=_at(mark) if mark else None) from None
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as err:
            raise ProtocolError(source, "", NOTHING,
                                f"not valid YAML: a value cannot be read ({excerpt(str(err), 120)})") from None
    finally:
        loader.dispose()
