"""``python -m dltrain.config [README.md]``: rewrites the README's config reference."""

import sys
from pathlib import Path

from dltrain.config.reference import readme_with_reference

target = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
target.write_text(readme_with_reference(target.read_text(encoding="utf-8")), encoding="utf-8")
print(f"updated the config reference in {target}")
