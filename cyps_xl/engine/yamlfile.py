"""YAML loading that remembers where each value came from.

Validation messages must name the YAML file and line, so mappings are
loaded as :class:`LineDict` (a dict that knows the line of each key) and
syntax errors are turned into :class:`CypsError` with the line PyYAML found.
A file read before comes back from :mod:`~cyps_xl.engine.yamlcache`, and
PyYAML is loaded only to parse one that was not.
"""
from __future__ import annotations

from pathlib import Path

from cyps_xl.engine import yamlcache
from cyps_xl.errors import CypsError


class LineDict(dict):
    """A mapping from YAML with ``line`` (its own) and ``key_lines``."""

    line: int = 0
    key_lines: dict

    def line_of(self, key) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    line: int = 0
    lines: list = []

    def line_of(self, index: int) -> int:
        return self.lines[index] if index < len(self.lines) else self.line


# Keys whose values are references or labels: kept as the text typed, so that an unquoted
# ref: 3.10 stays "3.10" (YAML would read the number 3.1 and match indicator 3.1).
TEXT_KEYS = frozenset({"ref", "as", "part", "title", "sheet", "number_format", "default_number_format"})

_LOADER = None


def _loader():
    """Safe loading (LibYAML's C parser when present), with mappings and lists that keep their lines."""
    global _LOADER
    if _LOADER is None:
        import yaml

        class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            pass

        Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
        Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
        _LOADER = Loader
    return _LOADER


def _construct_mapping(loader, node):
    import yaml

    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):  # '? [a, b]' or '{a: 1}: x': no setting is named so
            raise yaml.constructor.ConstructorError(
                None, None, "a key is a list or mapping; a key is a name such as 'polarity'", key_node.start_mark)
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key '{key}' appears twice", key_node.start_mark
            )
        if key in TEXT_KEYS and isinstance(value_node, yaml.ScalarNode) and not value_node.style \
                and value_node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
            result[key] = value_node.value  # as typed: 3.10, not 3.1
        else:
            result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader, node):
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]  # each item's line, for messages
    return result


def load_yaml(path: Path):
    path = path if hasattr(path, "read_bytes") else Path(path)  # a Path, or a TextFile kept in a workbook
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise CypsError("file not found.", file=path, hint="Check the path.") from None
    except UnicodeDecodeError:
        raise CypsError("is not a UTF-8 text file.", file=path, hint="Save it as UTF-8 text.") from None
    found = yamlcache.kept(data, LineDict, LineList)
    if found is not yamlcache.MISS:
        return found
    import yaml

    try:
        if "*" in text:
            _refuse_alias_bombs(text, path)
        found = yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
        if "*" in text:
            _refuse_expansion(found, len(text), path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}" if mark else None
        problem = exc.problem or exc.context or "the YAML cannot be read"
        raise CypsError(
            f"YAML syntax error: {problem}.", file=path, place=line,
            hint="Check indentation and quoting on that line (quote texts such as '<87%').",
        ) from None
    except yaml.YAMLError as exc:
        raise CypsError(f"YAML syntax error: {exc}.", file=path) from None
    yamlcache.keep(data, found)
    return found


MAX_ALIASES = 20  # rules use anchors and aliases seldom; a nest of a few dozen can expand past any memory


def _refuse_alias_bombs(text: str, path: Path) -> None:
    """Count the aliases (*name) before anything is built: a nest of them (a 'billion laughs') is refused."""
    import yaml

    aliases = 0
    for event in yaml.parse(text, Loader=_loader()):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise CypsError(f"uses more than {MAX_ALIASES} YAML aliases (*name); refusing to expand them.",
                                file=path, place=f"line {event.start_mark.line + 1}",
                                hint="Write the values out instead of repeating them through anchors and aliases.")


def _refuse_expansion(found, size: int, path: Path) -> None:
    """Within the alias limit, aliases of aliases still multiply (each doubling what it names): the values as
    expanded, which every reader and the cache walk, are counted, and a file that grows past its own size
    several times over is refused before anything walks it."""
    most = 100_000 + size // 2  # a plain rules file has fewer values than it has bytes
    stack, count = [found], 0
    while stack:
        value = stack.pop()
        count += 1
        if count > most:
            raise CypsError(f"its aliases (*name) expand to more than {most:,} values; refusing to expand them.",
                            file=path, hint="Write the values out instead of repeating them through anchors and aliases.")
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def check_keys(mapping: LineDict, allowed: set, path: Path, what: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise CypsError(
                f"unknown key '{key}' in {what}.", file=path, place=f"line {mapping.line_of(key)}",
                hint=f"Allowed keys are: {', '.join(sorted(allowed))}.",
            )
