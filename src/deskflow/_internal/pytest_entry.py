"""
deskflow's ``pytest11`` entry point: it loads the pytest plugin
([`deskflow.testing.plugin`][deskflow.testing.plugin]) when Hypothesis is installed (the
``testing`` extra) and nothing otherwise.

pytest loads every installed entry point at start-up, so a host that installed deskflow
without the ``testing`` extra must not find pytest broken by an import error; this module
imports nothing itself (like Hypothesis' own ``_hypothesis_pytestplugin``).
"""

from __future__ import annotations

from importlib.util import find_spec

#: The plugin modules pytest loads through this entry point.
pytest_plugins = ["deskflow.testing.plugin"] if find_spec("hypothesis") is not None else []
