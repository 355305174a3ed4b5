"""
Alembic's environment for deskflow's migrations: Alembic runs it, nothing imports it.

The work is done by [`run_environment()`][deskflow.adapters.sql.migrate.run_environment].
"""

from deskflow.adapters.sql.migrate import run_environment

run_environment()
