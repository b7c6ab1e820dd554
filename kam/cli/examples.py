"""The examples each command's help ends with, and the fields `kam import --map` accepts."""

from __future__ import annotations

import argparse

EXAMPLES: dict[str, tuple[str, ...]] = {
    "kam": ("kam", "kam demo", "kam report pareto", "kam --db team.db --read-only"),
    "kam tui": ("kam tui", "kam tui --db ~/accounts.db"),
    "kam demo": ("kam demo", "kam demo --accounts 100000 --no-tui",
                 "kam demo --as-of 2026-06-30 --seed 3"),
    "kam report": ("kam report pareto", "kam report review --format html -o week.html"),
    "kam report pareto": ("kam report pareto", "kam report pareto --region Europe",
                          "kam report pareto --by region --format csv -o pareto.csv"),
    "kam report pipeline": ("kam report pipeline", "kam report pipeline --by owner",
                            "kam report pipeline --region 华东 --format json"),
    "kam report agenda": ("kam report agenda", "kam report agenda --days 7 --user 'Li Wei'"),
    "kam report wallet": ("kam report wallet", "kam report wallet --account 'Acme Corp'"),
    "kam report health": ("kam report health", "kam report health --all",
                          "kam report health --by region"),
    "kam report segments": ("kam report segments", "kam report segments --accounts --format csv"),
    "kam report review": ("kam report review", "kam report review --region Europe -o review.md",
                          "kam report review --format html -o review.html"),
    "kam region": ("kam region list", "kam region add 华东 --in 中国 --owner 'Li Wei'"),
    "kam region list": ("kam region list",),
    "kam region add": ("kam region add Europe --owner 'Maya Jones'",
                       "kam region add Nordics --in Europe"),
    "kam region set": ("kam region set Nordics --owner 'Bo Berg'",
                       "kam region set Nordics --rename 'Nordic countries'"),
    "kam export": ("kam export all -o backup-folder",
                   "kam export accounts --format xlsx -o a.xlsx"),
    "kam export agenda": ("kam export agenda -o plans.ics", "kam export agenda --user 'Li Wei'"),
    "kam export accounts": ("kam export accounts -o accounts.csv",
                            "kam export accounts --format xlsx -o accounts.xlsx",
                            "kam export accounts -o - | head"),
    "kam export contacts": ("kam export contacts -o contacts.csv",),
    "kam export revenue": ("kam export revenue --format json -o revenue.json",),
    "kam export opportunities": ("kam export opportunities --format xlsx -o deals.xlsx",),
    "kam export wallet": ("kam export wallet -o wallet.csv",),
    "kam export team": ("kam export team -o team.csv",),
    "kam export complaints": ("kam export complaints --format xlsx -o complaints.xlsx",),
    "kam export satisfaction": ("kam export satisfaction -o scores.csv",),
    "kam export plans": ("kam export plans -o contact-plans.csv",),
    "kam export activities": ("kam export activities -o activities.csv",
                              "kam export activities --format xlsx -o activities.xlsx"),
    "kam export all": ("kam export all -o folder", "kam export all --format xlsx -o all.xlsx",
                       "kam export all --format json -o - > all.json"),
    "kam import": ("kam import accounts accounts.csv --dry-run",
                   "kam import revenue ledger.csv --create-accounts --dayfirst",
                   "kam import opportunities deals.xlsx --sheet Pipeline --update",
                   "kam import accounts kunden.csv --encoding cp1252 --map 'Kunde=name'",
                   "kam import all folder",
                   "kam import activities visits.csv --dry-run",
                   "kam import team account-team.csv",
                   "kam import plans contact-plans.csv --update",
                   "kam import satisfaction nps.xlsx --create-accounts",
                   "kam import meetings outlook.ics --dry-run"),
    "kam backup": ("kam backup", "kam backup ~/backups/"),
    "kam restore": ("kam restore kam-2026-12-01T0900.backup.db",),
    "kam check": ("kam check", "kam check --db team.db"),
    "kam copy": ("kam copy --to postgresql://kam@db.example.com/kam",),
    "kam join": ("kam join postgresql://kam@db.example.com/kam --db ~/laptop.db",),
    "kam sync": ("kam sync", "kam sync --take-mine 3", "kam sync --keep-theirs 4"),
}  # fmt: skip


def map_fields() -> str:
    """The fields each kind's columns can be read as with `--map COLUMN=field`."""
    import textwrap

    from kam.schema import ENTITIES

    lines = ["fields --map COLUMN=field accepts (or - to skip a column):"]
    for kind, entity in ENTITIES.items():
        names = ", ".join(f.name for f in entity.file_fields)
        lines += textwrap.wrap(
            f"{kind}: {names}", 78, initial_indent="  ", subsequent_indent="    "
        )
    return "\n".join(lines)


def _subparsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from _subparsers(sub)


def attach(parser: argparse.ArgumentParser) -> None:
    """End the help of `parser` and of every command under it with its examples (and, for
    import, the fields `--map` accepts), laid out as written."""
    for command in _subparsers(parser):
        lines = [f"  {example}" for example in EXAMPLES.get(command.prog, ())]
        if lines:
            command.epilog = "examples:\n" + "\n".join(lines)
            command.formatter_class = argparse.RawDescriptionHelpFormatter
        if command.prog == "kam import":
            command.help_ending = map_fields  # type: ignore[attr-defined]
