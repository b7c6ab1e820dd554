"""`kam report`: the portfolio's figures as text, Markdown or CSV."""

from __future__ import annotations

import argparse
from datetime import date

from kam.cli.common import bring_up_to_date, open_db, write_output


def report(args: argparse.Namespace) -> int:
    if args.report == "pipeline":
        return _pipeline_report(args)
    if args.report == "agenda":
        return _agenda_report(args)
    if args.report == "review":
        return _review_report(args)
    if args.report in ("wallet", "health", "segments"):
        return _insight_report(args)
    from kam.reports import regional
    from kam.reports.text import pareto_report
    from kam.services import settings as settings_service
    from kam.services.accounts import regions
    from kam.services.classify import pareto as classify
    from kam.services.classify.pareto import ClassificationSettings
    from kam.services.portfolio import indicators

    as_of = args.as_of or date.today()
    database = open_db(args)
    try:
        with database.read() as session:
            region = regions.require(session, args.region)
            if args.by == "region":
                whole, rows = indicators.by_region(session, as_of, region=region)
                text = regional.indicators_report(whole, rows, args.format, as_of=as_of)
            else:
                settings = settings_service.load(session, ClassificationSettings)
                result = classify.classify(session, as_of, args.window, settings)
                if region is None:
                    text = pareto_report(result, settings, args.format)
                else:
                    mine = regional.narrowed(result, set(regions.account_ids(session, region)))
                    text = pareto_report(mine, settings, args.format)
                    if args.format == "table":
                        words = regional.region_pareto_words(region.name, mine, result)
                        text = words + "\n" + text
    finally:
        database.dispose()
    write_output(text, args.output)
    return 0


def _pipeline_report(args: argparse.Namespace) -> int:
    from kam.reports.text import pipeline_report
    from kam.services.accounts import regions
    from kam.services.pipeline import filters, forecast

    as_of = args.as_of or date.today()
    quarter = filters.Quarter.parse(args.quarter) if args.quarter else None
    database = open_db(args)
    try:
        bring_up_to_date(database, as_of)
        with database.read() as session:
            region = regions.require(session, args.region)
            deals = filters.DealFilter(quarter=quarter, region=region)
            result = forecast.forecast(session, deals, as_of, args.by)
    finally:
        database.dispose()
    write_output(pipeline_report(result, args.format), args.output)
    return 0


def _insight_report(args: argparse.Namespace) -> int:
    from kam.reports import regional
    from kam.reports import text as reports
    from kam.services.accounts import regions
    from kam.services.classify import segments
    from kam.services.health import stored as health
    from kam.services.wallet import share_of_wallet as wallet

    as_of = args.as_of or date.today()
    database = open_db(args)
    try:
        bring_up_to_date(database, as_of, health=args.report == "health")
        with database.read() as session:
            if args.report == "wallet":
                if args.account:
                    from kam.services.pipeline.deals import account_by_name

                    account_id = account_by_name(session, args.account)
                    view = wallet.account_wallet(session, account_id, as_of)
                    text = reports.account_wallet_report(view, args.account, args.format)
                else:
                    rows = wallet.portfolio_wallet(session, as_of)
                    text = reports.wallet_report(rows, as_of, args.format)
            elif args.report == "health" and args.by == "region":
                text = regional.health_by_region(health.by_region(session), as_of, args.format)
            elif args.report == "health":
                region = regions.require(session, args.region)
                rows = (
                    health.watched(session, region=region)
                    if args.all
                    else health.at_risk(session, region=region)
                )
                summary = health.summary(session, region=region)
                text = reports.health_report(rows, summary, as_of, args.format, everyone=args.all)
                if region is not None and args.format == "table":
                    text = f"Region {region.name} (with its territories)\n" + text
            elif args.accounts:
                text = reports.segment_rows_report(
                    segments.segment_rows(session), as_of, args.format
                )
            else:
                text = reports.segments_report(segments.summary(session, as_of), args.format)
    finally:
        database.dispose()
    write_output(text, args.output)
    return 0


def _review_report(args: argparse.Namespace) -> int:
    from kam.reports import review as review_report
    from kam.services.accounts import regions
    from kam.services.review import weeks

    as_of = args.as_of or date.today()
    week = weeks.check_week(args.week) if args.week else weeks.iso_week(as_of)
    database = open_db(args)
    try:
        bring_up_to_date(database, as_of, health=True)
        with database.read() as session:
            built = review_report.build(
                session,
                week,
                as_of,
                region=regions.require(session, args.region),
                by_region=args.by == "region",
            )
            text = review_report.render(built, args.format)
    finally:
        database.dispose()
    write_output(text, args.output)
    return 0


def _agenda_report(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from kam.reports.text import agenda_report
    from kam.services.contact_plan import activities, agenda

    as_of = args.as_of or date.today()
    database = open_db(args)
    try:
        with database.read() as session:
            owner = activities.check_member_name(session, args.user) if args.user else None
            query = agenda.AgendaQuery(until=as_of + timedelta(days=args.days), owner_id=owner)
            rows = agenda.list_agenda(session, query, 0, agenda.count_agenda(session, query))
    finally:
        database.dispose()
    write_output(agenda_report(rows, as_of, args.user, args.format), args.output)
    return 0
