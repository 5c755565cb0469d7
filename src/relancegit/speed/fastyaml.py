"""The lean YAML constructor: the same data and errors as `yamlsafe.LedgerLoader`, faster.

Layer: speed (behind the door of `speed/__init__.py`). `read/load.py` passes `FastLoader` to
`yamlsafe.parse_yaml` when the door is open; tests/test_yaml_fast.py compares both loaders.
"""

from __future__ import annotations

import re
from typing import Any, cast

import yaml

from relancegit.read.yamlsafe import LedgerLoader, construct_int, scalar_date, scalar_decimal


class FastLoader(LedgerLoader):
    """The plain loader with a lean constructor for the usual shapes of ledger files.

    libyaml composes the node tree in C; PyYAML's constructor then walks it with generic
    machinery (generators, state, a call per node per phase) that costs more than the parse.
    `_build` turns the usual nodes (mappings, sequences, strings, numbers, dates, booleans,
    nulls) into data directly; anything else (an explicit tag, a duplicate or unhashable key,
    deep nesting) goes back to PyYAML's constructor on the same tree, so results and errors
    are exactly the plain loader's."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        """PyYAML's implicit tag resolution, without its path resolvers (none are set): the
        same regular expressions in the same order, called from C for every node."""
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in _IMPLICIT.get(value[:1], _WILDCARD):
                    if regexp.match(value):
                        return tag
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        try:
            return _build(self, node)
        except (_Unusual, RecursionError):
            return self.construct_document(node)


class _Unusual(Exception):
    """A node the lean constructor leaves to PyYAML's."""


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_PLAIN_SCALARS = {
    "tag:yaml.org,2002:int": construct_int,
    "tag:yaml.org,2002:bool": yaml.constructor.SafeConstructor.construct_yaml_bool,
    "tag:yaml.org,2002:null": yaml.constructor.SafeConstructor.construct_yaml_null,
}


_WILDCARD: tuple[tuple[str, re.Pattern[str]], ...] = tuple(LedgerLoader.yaml_implicit_resolvers.get(None, []))
_IMPLICIT: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    first: (*resolvers, *_WILDCARD)
    for first, resolvers in LedgerLoader.yaml_implicit_resolvers.items()
    if first is not None
}
assert not LedgerLoader.yaml_path_resolvers


def _build(loader: LedgerLoader, node: yaml.Node) -> Any:
    kind = type(node)
    if kind is yaml.ScalarNode:
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag == _FLOAT:
            return scalar_decimal(node.value)
        if tag == _TIMESTAMP:
            return scalar_date(node.value)
        plain = _PLAIN_SCALARS.get(tag)
        if plain is None:
            raise _Unusual
        return plain(loader, cast(yaml.ScalarNode, node))
    if kind is yaml.MappingNode and node.tag == _MAP:
        mapping = {}
        for key_node, value_node in node.value:
            key = _build(loader, key_node)
            if type(key) in (dict, list):
                raise _Unusual  # unhashable: PyYAML says so at the key
            mapping[key] = _build(loader, value_node)
        if len(mapping) != len(node.value):
            raise _Unusual  # a duplicate key: reported at its position
        return mapping
    if kind is yaml.SequenceNode and node.tag == _SEQ:
        return [_build(loader, item) for item in node.value]
    raise _Unusual
