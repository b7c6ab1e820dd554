"""Importing accounts, contacts, revenue, deals and wallet estimates from files.

An import is planned before anything is written: every row is read, checked and matched to
what kam holds (accounts by name ignoring case and spaces, by kam id or by the other system's
id). The plan says what would be created, updated and rejected, with the file, line, column
and reason of every bad row. Only a plan without rejects is applied, in one transaction:
all of it or none of it.

The calls other modules make are named here; the modules behind them are `cells` (one
cell), `plan` (what an import would do), `lookup` (what kam holds), `kinds` (each kind of
row), `apply` (the transaction) and `sources` (files and folders).
"""

from kam.files.imports.apply import Source, apply_plan, plan_import
from kam.files.imports.cells import SPECS, check_kind
from kam.files.imports.plan import ImportPlan, Options, parse_mapping
from kam.files.imports.sources import apply_file, import_file, preview_file, sources_for
from kam.schema import KINDS

__all__ = [
    "KINDS",
    "SPECS",
    "ImportPlan",
    "Options",
    "Source",
    "apply_file",
    "apply_plan",
    "check_kind",
    "import_file",
    "parse_mapping",
    "plan_import",
    "preview_file",
    "sources_for",
]
