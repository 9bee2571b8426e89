"""Front matter within bounds: its size, its nesting and (for YAML) how far its aliases expand."""

import yaml

MAX_BYTES = 1_000_000  # raw front matter, and front matter with every alias expanded
MAX_DEPTH = 100  # nested [ and { (libyaml's recursive parser crashes the process far deeper down)
MAX_ALIASES = 1_000

try:
    Loader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    Loader = yaml.SafeLoader


class FrontMatterTooBig(ValueError):
    """Front matter past one of the bounds (an alias bomb, say): the message says which."""


def check_bounds(text: str) -> None:
    """Refuse front matter (YAML or TOML) larger than MAX_BYTES or nested deeper than MAX_DEPTH."""
    if len(text.encode()) > MAX_BYTES:
        raise FrontMatterTooBig(f"the front matter is larger than {MAX_BYTES // 1_000_000} MB: move the text "
                                f"into the body")
    if text.count("[") + text.count("{") > MAX_DEPTH and _flow_depth(text) > MAX_DEPTH:
        raise FrontMatterTooBig(f"the front matter nests lists or mappings more than {MAX_DEPTH} levels deep")


def load_yaml(text: str):
    """Parse YAML like yaml.safe_load, refusing documents whose size, nesting or expansion is past a bound."""
    check_bounds(text)
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _flow_depth(text: str) -> int:
    """Return how deep [ and { nest, counting brackets in quoted text too (it only makes this stricter)."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}" and depth:
            depth -= 1
    return deepest


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a node graph whose aliases expand past MAX_BYTES, are too many, or refer to themselves.

    Each node's expanded size is computed once (aliases share node objects), so this is linear in the
    size of the text however large the expansion would be.
    """
    sizes: dict[int, int] = {}
    aliases = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > MAX_BYTES:
                raise FrontMatterTooBig(f"the front matter's aliases (*name) expand to more than "
                                        f"{MAX_BYTES // 1_000_000} MB: write the values out")
            continue
        if key in sizes:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise FrontMatterTooBig(f"the front matter uses aliases (*name) more than {MAX_ALIASES} times")
            continue
        if key in open_nodes:
            raise FrontMatterTooBig("the front matter has an alias (*name) inside the value it names")
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = len(node.value)
            continue
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
        # Children already sized are aliases too: count them here, as they are not pushed.
        aliases += sum(1 for child in _children(node) if id(child) in sizes)
        if aliases > MAX_ALIASES:
            raise FrontMatterTooBig(f"the front matter uses aliases (*name) more than {MAX_ALIASES} times")


def _children(node: yaml.Node):
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
