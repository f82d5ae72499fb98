"""``coprod report`` (from the store) and ``coprod demo`` (the whole idea, no server needed)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from coprod_connectors.connectors.types import Deployment
    from coprod_connectors.report import Source
    from coprod_connectors.responses import Response
    from coprod_connectors.scoring import Counted
    from coprod_connectors.store import Store

from coprod_connectors.cli.common import StoreOption, say, stdout_console
from coprod_connectors.cli.score import (
    DateOption,
    LangOption,
    OrganisationOption,
    Paper,
    PaperOption,
    ReportFormat,
    privacy_words,
    report_context,
    write_report,
)

LadderOption = Annotated[
    str,
    typer.Option(
        "--ladder",
        help="Ladder model: five-rung, seven-rung, or a ladder YAML file.",
        envvar="COPROD_LADDER",
    ),
]
KOption = Annotated[
    int,
    typer.Option(
        "--k",
        min=1,
        help="Privacy threshold: groups of fewer people are never shown on their own.",
        envvar="COPROD_PRIVACY_K",
    ),
]


def report(
    subject: Annotated[str | None, typer.Option(help="Only this subject.")] = None,
    round_: Annotated[str | None, typer.Option("--round", help="Only this round.")] = None,
    instrument: Annotated[str | None, typer.Option(help="Only this instrument.")] = None,
    ladder: LadderOption = "five-rung",
    k: KOption = 3,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="What to write.")
    ] = ReportFormat.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file.")
    ] = None,
    store: StoreOption = None,
    lang: LangOption = "en",
    made_on: DateOption = None,
    organisation: OrganisationOption = None,
    paper: PaperOption = Paper.a4,
) -> None:
    """Score what the store holds and write a report (text, md, json, csv, actions, html or pdf)."""
    from coprod_connectors.ladder import load_ladder
    from coprod_connectors.report import Source
    from coprod_connectors.responses import noting_deployments
    from coprod_connectors.scoring import score
    from coprod_connectors.store import Store

    with Store(store) as db:
        # read in chunks and counted as they go by: never every response at once
        used: set[str | None] = set()
        responses = db.responses(instrument=instrument, subject=subject, round=round_)
        model = load_ladder(ladder)  # a bad ladder is refused before the store is read
        counted = count_in_two(db, used, instrument=instrument, subject=subject, round_=round_)
        results = score(noting_deployments(responses, used), ladder=model, k=k, counted=counted)
        sources = [describe(d) for d in db.deployments() if d.key in used]
    if db.damaged:
        first = ", ".join(f"{d} {r}" for d, r in db.damaged[:3])
        say(
            f"note: {len(db.damaged)} stored responses are damaged and were left out ({first})",
            err=True,
        )
    if None in used:
        sources.append(Source.of("no-deployment"))
    if not results.results:
        say("no responses match; run coprod sync first, or loosen the filters", err=True)
    again = again_words(store, subject=subject, round_=round_, instrument=instrument, k=k)
    context = report_context(organisation, made_on, sources, again, model)
    write_report(results, fmt, output, lang=lang, context=context, paper=paper)


def again_words(
    store: str | None,
    *,
    subject: str | None,
    round_: str | None,
    instrument: str | None,
    k: int,
) -> tuple[str, ...]:
    """The words after ``coprod`` that read the same results again, from any folder: the
    store as an absolute path (a URL with its password hidden), then the filters given."""
    from coprod_connectors.store import DEFAULT_STORE, safe_url

    given = store or DEFAULT_STORE
    where = safe_url(given) if "://" in given else str(Path(given).expanduser().absolute())
    words = ["report", "--store", where]
    for option, value in (
        ("--subject", subject),
        ("--round", round_),
        ("--instrument", instrument),
    ):
        if value is not None:
            words += [option, value]
    return (*words, *privacy_words(k))


#: Stores with fewer rows are read by one process (a second one costs more than it saves).
SPLIT_FROM = 50_000


def count_in_two(
    db: Store,
    used: set[str | None],
    *,
    instrument: str | None,
    subject: str | None,
    round_: str | None,
) -> Counted | None:
    """The stored responses counted for scoring, half of them by a forked copy of this
    process on another core; None where that cannot be (one core, not Linux, a small
    store): :func:`~coprod_connectors.scoring.score` then reads them itself.

    The halves' counts are added (the same counts, see :func:`scoring.count`), the
    copy's deployments seen added to ``used`` and its damaged rows to ``db.damaged``
    after this process's own (so in the order one reading names them). When the copy
    fails, this process counts its half too.
    """
    import time

    from coprod_connectors.forked import Forked, can_fork
    from coprod_connectors.responses import noting_deployments
    from coprod_connectors.scoring import count

    if not can_fork():
        return None
    halves = db.response_halves(
        instrument=instrument, subject=subject, round=round_, smallest=SPLIT_FROM
    )
    if halves is None:
        return None
    first, second = halves

    def other_half() -> tuple[Counted, set[str | None], list[tuple[str, str]]]:
        db.engine.dispose(close=False)  # the copy's own connections, never this process's
        seen: set[str | None] = set()
        return count(noting_deployments(second, seen)), seen, db.damaged

    started = time.monotonic()
    try:
        job = Forked(other_half)
    except OSError:  # no process to be had (a limit on processes, a sandbox): count alone
        return None
    counted = count(noting_deployments(first, used))
    # the copy has as much to do: wait as long again and more, never for ever
    done = job.result(timeout=60 + 4 * (time.monotonic() - started))
    if done is None:
        counted.add(count(noting_deployments(second, used)))
        return counted
    theirs, seen, damaged = done
    counted.add(theirs)
    used.update(seen)
    db.damaged.extend(d for d in damaged if d not in db.damaged)
    return counted


def describe(deployment: Deployment) -> Source:
    """Where a deployment's responses came from, for the report's cover (in its language)."""
    from coprod_connectors.report import Source

    facts = {
        "platform": deployment.platform,
        "profile": deployment.profile,
        "remote_id": deployment.remote_id,
        "instrument": deployment.instrument,
        "version": deployment.instrument_version,
        "round": deployment.round,
    }
    imported = deployment.details.get("imported_from")
    if imported:
        return Source.of("imported-deployment", **facts, file=Path(str(imported)).name)
    return Source.of("deployment", **facts)


DEMO_CREATED = datetime(2026, 1, 1, tzinfo=timezone.utc)


#: The file that says a folder is coprod demo's own (so a re-run may write over it).
DEMO_MARK = ".coprod-demo"


def _claim_demo_folder(output: Path) -> None:
    """Make ``output`` (and its forms folder) for the demo, or refuse a folder holding
    anything the demo did not write (a real store, other files): nothing there is touched."""
    from coprod_connectors.errors import ConfigError

    if output.exists() and not output.is_dir():
        msg = f"{output} is a file, not a folder"
        raise ConfigError(msg, hint="give coprod demo -o a new or empty folder")
    if output.is_dir() and not (output / DEMO_MARK).is_file():
        found = sorted(p.name for p in output.iterdir())
        if found:
            shown = ", ".join(found[:4]) + (", ..." if len(found) > 4 else "")
            msg = f"{output} already holds files coprod demo did not make ({shown})"
            raise ConfigError(
                msg, hint="give coprod demo -o a new or empty folder; nothing was changed"
            )
    try:
        (output / "forms").mkdir(parents=True, exist_ok=True)
        (output / DEMO_MARK).write_text(
            "Made by coprod demo: made-up responses only. coprod demo may write over it.\n",
            encoding="utf-8",
        )
    except OSError as exc:
        msg = f"{output}: cannot create the folder ({exc.strerror})"
        raise ConfigError(msg) from exc


def demo(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The folder to write into.")
    ] = Path("coprod-demo"),
    seed: Annotated[int, typer.Option(help="Seed of the made-up responses.")] = 2026,
    lang: LangOption = "en",
    made_on: DateOption = None,
) -> None:
    """Show the whole idea with no server: platform files, a store, scores and a report."""
    from coprod_connectors.connectors import Deployment, discover
    from coprod_connectors.errors import CoprodError
    from coprod_connectors.instruments import builtin_instrument, builtin_instruments
    from coprod_connectors.report import Source, render
    from coprod_connectors.report.text import show_summary
    from coprod_connectors.safety import confined, markup_safe, safe_name
    from coprod_connectors.scoring import score
    from coprod_connectors.store import Store
    from coprod_connectors.synthetic import demo_responses

    _claim_demo_folder(output)
    console = stdout_console(highlight=False)
    written = []
    for name, cls in sorted(discover().connectors.items()):
        for instrument in builtin_instruments():
            try:
                artefact = cls().render(instrument)
            except (NotImplementedError, CoprodError) as exc:
                console.print(
                    markup_safe(f"note: the {name} connector cannot render {instrument.id}: {exc}")
                )
                continue
            # one folder per platform: two platforms may name their files alike
            folder = safe_name(name, what="the platform name")
            file_name = safe_name(artefact.filename, what=f"the {name} file name")
            target = confined(output / "forms", folder, file_name, what="the file name")
            target.parent.mkdir(exist_ok=True)
            artefact.write(target)
            written.append(f"{folder}/{target.name}")
    console.print(
        markup_safe(
            f"1. Wrote {len(written)} platform files to {output / 'forms'}: {', '.join(written)}"
        )
    )

    responses = demo_responses(seed)
    by_deployment: dict[tuple[str, str], list[Response]] = {}
    for response in responses:
        by_deployment.setdefault((response.instrument, response.round), []).append(response)
    store_path = output / "coprod.db"
    with Store(str(store_path)) as db:
        for (instrument_id, round_name), items in sorted(by_deployment.items()):
            instrument = builtin_instrument(instrument_id)
            deployment = Deployment(
                platform="demo",
                profile="demo",
                remote_id=f"{instrument_id}-{round_name}",
                instrument=instrument_id,
                instrument_version=instrument.version,
                round=round_name,
                created_at=DEMO_CREATED,
                details={"seed": seed},
            )
            stamped = [r.model_copy(update={"deployment": deployment.key}) for r in items]
            db.import_responses(deployment, instrument, stamped)
        results = score(db.responses())
        stored = db.count_responses()
    console.print(markup_safe(f"2. Stored {stored} made-up responses in {store_path}"))
    (output / "results.json").write_text(render(results, "json"), encoding="utf-8")
    context = report_context("Demo organisation", made_on, [Source.of("demo", seed=seed)])
    html = render(results, "html", lang=lang, context=context)
    (output / "report.html").write_text(html, encoding="utf-8")
    console.print(
        markup_safe(f"3. Scored them: {output / 'results.json'}; report: {output / 'report.html'}")
    )
    console.print()
    show_summary(results, console, lang=lang)
