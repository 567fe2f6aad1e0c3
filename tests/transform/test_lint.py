"""sqlfluff (dbt templater, postgres, lowercase style of .sqlfluff) must be clean."""

from __future__ import annotations

from infinit.stack import Stack


def test_sqlfluff_lint_is_clean(stack: Stack) -> None:
    # The dbt templater compiles the project, which needs a warehouse with the raw tables'
    # relations resolvable: the session stack's warehouse is enough (no data needed).
    run = stack.meltano("invoke", "sqlfluff", "lint", "transform/models", "transform/tests", check=False,
                        timeout=1200)  # fmt: skip
    assert run.returncode == 0, f"sqlfluff lint found violations:\n{run.stdout[-12000:]}\n{run.stderr[-4000:]}"
