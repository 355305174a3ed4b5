"""
Private machinery of deskflow: nothing here is public API, and it may change at any time.

Public modules import from this package; no module imports another public module's
``_private`` names.
"""
