"""`kam region`: the regions and territories accounts are managed in, and who owns them."""

from __future__ import annotations

import argparse
import sys

from kam.cli.common import open_db


def region(args: argparse.Namespace) -> int:
    from kam.services.accounts import regions
    from kam.services.unit import Intent

    database = open_db(args)
    try:
        if args.region == "list":
            rows = Intent(regions.regions).run(database)
            sys.stdout.write(_listing(rows, args.format))
            return 0
        if args.region == "add":
            made = Intent(
                regions.add_region, args.name, in_region=args.in_region, owner=args.owner
            ).run(database)
            where = f" in {args.in_region}" if args.in_region else ""
            kind = "territory" if args.in_region else "region"
            print(f"kam: added the {kind} {made.name}{where}")
            return 0
        changed = Intent(
            regions.update_region,
            args.name,
            owner=args.owner,
            rename=args.rename,
            in_region=args.in_region,
        ).run(database)
        print(f"kam: {changed.name} saved")
        return 0
    finally:
        database.dispose()


def _listing(rows, fmt: str) -> str:
    from kam.files.cells import to_csv, to_json
    from kam.services.values.formatting import money, text_table

    if fmt == "json":
        return to_json(
            [
                {
                    "name": r.name,
                    "region": r.region,
                    "owner": r.owner,
                    "accounts": r.accounts,
                    "key_accounts": r.key_accounts,
                    "revenue_minor": r.revenue_minor,
                }
                for r in rows
            ]
        )
    if fmt == "csv":
        return to_csv(
            ["name", "region", "owner", "accounts", "key_accounts", "revenue_minor"],
            (
                [r.name, r.region or "", r.owner or "", r.accounts, r.key_accounts, r.revenue_minor]
                for r in rows
            ),
        )
    if not rows:
        return "No regions yet: `kam region add NAME`, or give accounts a region.\n"
    return (
        text_table(
            ["Region / territory", "Owner", "Accounts", "Key accounts", "Revenue"],
            [
                [
                    ("  " + r.name) if r.region else r.name,
                    r.owner or "–",
                    f"{r.accounts:,}",
                    f"{r.key_accounts:,}",
                    money(r.revenue_minor),
                ]
                for r in rows
            ],
            right={2, 3, 4},
        )
        + "\nA region's figures include its territories' (indented under it); revenue is the "
        "classification window's.\n"
    )
