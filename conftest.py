"""Repository-wide pytest set-up.

Living at the repository root puts the root on ``sys.path``, so tests can import
``benchmarks.anchors`` and the example apps' modules.
"""

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

pytest_plugins = ["test.simulate.templates"]
"""The simulator's template fixtures, shared by its tests, the benchmarks' and the construct's."""
