"""Static checks that CI runs with the tests: ruff with bandit's security rules (S), everywhere."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_including_the_security_rules_is_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "agenda", "solver", "tests", "migrations"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    config = (ROOT / "pyproject.toml").read_text()
    assert '"S"' in config.split("[tool.ruff.lint]")[1].split("\n[")[0]
