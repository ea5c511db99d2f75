"""docs/security.md names, for each guarantee, the test that proves it: every test it
names must exist, so that the document cannot outlive a renamed or deleted test."""

import ast
import re
from pathlib import Path

from django.conf import settings

DOC = Path(settings.BASE_DIR) / "docs" / "security.md"
REFERENCE = re.compile(r"([\w/]+\.py)::(\w+)(?:::(\w+))?")


def defined_tests(path: Path) -> set[str]:
    """`test_x` and `Class::test_x` for every test function of a module."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef)
            )
    return names


def test_every_test_named_in_the_security_doc_exists():
    references = REFERENCE.findall(DOC.read_text())
    assert len(references) > 50

    missing = []
    for path, first, second in references:
        module = Path(settings.BASE_DIR) / path
        name = f"{first}::{second}" if second else first
        if not module.is_file() or name not in defined_tests(module):
            missing.append(f"{path}::{name}")

    assert missing == []
