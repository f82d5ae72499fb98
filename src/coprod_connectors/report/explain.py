"""Why a result is on its rung, what would move it up, and the trend: in plain words.

The reasons in the JSON (``Result.reasons``) name codes and rules for analysts;
here the same facts are put for readers, in the report's language, with every
principle, statement, phase and choice by its label. The rung is worked out
again from the result's own numbers with the same ladder functions the scorer
uses (:func:`~coprod_connectors.ladder.place`), so the words cannot drift from it.

A sentence is a :class:`Phrase`: plain text and :class:`Said` parts, so that a
label still in English inside a Welsh sentence can be marked ``lang="en"``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from coprod_connectors.ladder import (
    Achieved,
    Count,
    Items,
    LevelEvidence,
    Lowest,
    Requirement,
    ShareAbove,
    ShareAtLeast,
    ShareEvidence,
    changes_for,
    place,
)
from coprod_connectors.report.grammar import and_before
from coprod_connectors.report.i18n import Said
from coprod_connectors.report.labels import Labels
from coprod_connectors.scoring.models import (
    AchieveGap,
    ChecklistResult,
    LadderCheckResult,
    Result,
    SelfReflectionResult,
)

Part = str | Said
_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Phrase:
    """A sentence as parts: text in the report's language and labels that carry their own."""

    parts: tuple[Part, ...]

    def __str__(self) -> str:
        return "".join(str(p) for p in self.parts)


def fill(template: str, **values: str | int | Said | Phrase) -> Phrase:
    """``template`` (already translated) with each ``{name}`` replaced by its value."""
    parts: list[Part] = []
    pos = 0
    for match in _FIELD.finditer(template):
        parts.append(template[pos : match.start()])
        value = values[match.group(1)]
        if isinstance(value, Phrase):
            parts.extend(value.parts)
        elif isinstance(value, Said):
            parts.append(value)
        else:
            parts.append(str(value))
        pos = match.end()
    parts.append(template[pos:])
    return Phrase(tuple(p for p in parts if p != ""))


@dataclass
class Explained:
    """One result for readers."""

    rung: Said
    set_by: Phrase
    reasons: list[Phrase] = field(default_factory=list)
    next_rung: Said | None = None
    changes: list[Phrase] = field(default_factory=list)
    #: the first change in few words, for the summary (when shorter than ``changes[0]``)
    brief: Phrase | None = None

    @property
    def first_change(self) -> Phrase | None:
        """The one change that would move the result up, as the summary shows it."""
        if self.brief is not None:
            return self.brief
        return self.changes[0] if self.changes else None


class Explainer:
    """Plain-word reasons, next steps and trends in one language."""

    def __init__(self, labels: Labels) -> None:
        self.labels = labels
        self.words = labels.words
        self._ = labels.words.gettext
        self.n_ = labels.words.ngettext

    # --- shared -------------------------------------------------------------------

    def join(self, names: Sequence[Said | Phrase]) -> Phrase:
        """ "A, B and C" in the report's language, with the word after "and" as the
        language needs it (Welsh "a Chyflawni", "ac Adolygu": :func:`grammar.and_before`)."""
        if not names:
            return Phrase(())
        parts: list[Part] = []
        for i, name in enumerate(names):
            these: list[Part] = list(name.parts) if isinstance(name, Phrase) else [name]
            if i and i == len(names) - 1 and these:
                word, these[0] = and_before(self.words, these[0])
                parts.append(f" {word} ")
            elif i:
                parts.append(", ")
            parts.extend(these)
        return Phrase(tuple(parts))

    def share(self, agreed: int, total: int) -> Phrase:
        """ "29% of statements (8 of 28)"."""
        pct = round(100 * agreed / total) if total else 0
        return fill(
            self.n_(
                "{pct}% of statements ({agreed} of {total})",
                "{pct}% of statements ({agreed} of {total})",
                total,
            ),
            pct=pct,
            agreed=agreed,
            total=total,
        )

    def explain(self, result: Result) -> Explained:
        if isinstance(result, SelfReflectionResult):
            return self._self_reflection(result)
        if isinstance(result, ChecklistResult):
            return self._checklist(result)
        return self._ladder_check(result)

    def _placed(
        self, result: Result, evidence: LevelEvidence | ShareEvidence
    ) -> tuple[Said, list[Phrase], Said | None, list[Requirement]]:
        """The rung, the rule that placed it and why not the next, the next rung and its needs."""
        model = self.labels.model
        placement = place(model, result.instrument, evidence)
        rung = model.rungs[placement.rung_index]
        reasons = [
            fill(
                self._("{rung}: {meaning}"),
                rung=self.labels.rung(rung.id),
                meaning=self.labels.rung_description(rung.id),
            )
        ]
        if placement.next_index is None:
            return self.labels.rung(rung.id), reasons, None, []
        above = model.instruments[result.instrument].rules[placement.next_index]
        return self.labels.rung(rung.id), reasons, self.labels.rung(above.rung), above.requires

    # --- self-reflection ---------------------------------------------------------

    def _stage(self, stage: int, principle: str) -> Phrase:
        return fill(
            self._("stage {n} (“{name}”)"), n=stage, name=self.labels.stage(stage, principle)
        )

    def _self_reflection(self, r: SelfReflectionResult) -> Explained:
        names = self.labels.principle
        stages = {p: s.stage for p, s in r.principles.items()}
        lowered = [
            fill(
                self._(
                    "{principle}: people with lived experience chose stage {low}, lower than "
                    "everyone together (stage {all}), and their view is the one that counts."
                ),
                principle=names(p),
                low=s.stage or 0,
                all=s.median or 0,
            )
            for p, s in r.principles.items()
            if s.lowered_by_lived_experience
        ]
        unanswered = [p for p, s in stages.items() if s is None]
        if unanswered or not stages:
            set_by = fill(
                self._("Not enough answers: nobody chose a stage for {names}."),
                names=self.join([names(p) for p in unanswered]),
            )
            changes = [
                fill(self._("Get at least one answer about {name}."), name=names(p))
                for p in unanswered
            ]
            return Explained(
                self.labels.rung(None),
                set_by,
                [set_by, *lowered],
                self.labels.rung(self.labels.model.rungs[0].id),
                changes,
            )
        levels = {p: s for p, s in stages.items() if s is not None}
        low = min(levels.values())
        setters = [p for p, s in levels.items() if s == low]
        set_by = fill(
            self.n_(
                "{names} is at {stage}, the lowest of the principles.",
                "{names} are at {stage}, the lowest of the principles.",
                len(setters),
            ),
            names=self.join([names(p) for p in setters]),
            stage=self._stage(low, setters[0]),
        )
        evidence = LevelEvidence(levels)
        rung, placed, nxt, needs = self._placed(r, evidence)
        reasons = [set_by, *lowered, *placed, *self._shortfalls(nxt, needs, evidence, "principle")]
        changes = [
            fill(
                self._("{item}: move up from {old} to {new}."),
                item=names(c.item or ""),
                old=self._stage(c.from_level or 0, c.item or ""),
                new=self._stage(c.to_level or 0, c.item or ""),
            )
            for c in changes_for(needs, evidence)
        ]
        return Explained(rung, set_by, reasons, nxt, changes)

    def _shortfalls(
        self,
        nxt: Said | None,
        needs: list[Requirement],
        evidence: LevelEvidence | ShareEvidence,
        noun: str,
    ) -> list[Phrase]:
        if nxt is None:
            return [Phrase((self._("This is the top rung."),))]
        out = []
        name = self.labels.principle if noun == "principle" else self.labels.phase
        for req in needs:
            if isinstance(req, Lowest):
                template = (
                    self._("{rung} needs every principle at stage {n} or above.")
                    if noun == "principle"
                    else self._("{rung} needs every phase at level {n} or above.")
                )
                out.append(fill(template, rung=nxt, n=req.at_least))
            elif isinstance(req, Count) and isinstance(evidence, LevelEvidence):
                have = sum(v >= req.at_least for v in evidence.levels.values())
                template = (
                    self._(
                        "{rung} needs at least {count} principles at stage {n} or above; "
                        "{have} are."
                    )
                    if noun == "principle"
                    else self._(
                        "{rung} needs at least {count} phases at level {n} or above; {have} are."
                    )
                )
                out.append(fill(template, rung=nxt, count=req.count, n=req.at_least, have=have))
            elif isinstance(req, Items):
                template = (
                    self._("{rung} needs {names} at stage {n} or above.")
                    if noun == "principle"
                    else self._("{rung} needs {names} at level {n} or above.")
                )
                out.append(
                    fill(
                        template,
                        rung=nxt,
                        names=self.join([name(i) for i in req.items]),
                        n=req.at_least,
                    )
                )
            elif isinstance(req, (ShareAbove, ShareAtLeast)):
                template = (
                    self._("{rung} needs more than {pct}% of the statements agreed.")
                    if isinstance(req, ShareAbove)
                    else self._("{rung} needs at least {pct}% of the statements agreed.")
                )
                out.append(fill(template, rung=nxt, pct=round(req.share * 100)))
            elif isinstance(req, Achieved):
                out.append(
                    fill(
                        self._(
                            "{rung} needs the statements achieved: every group of enough people "
                            "agrees with more than half of them, and people with lived experience "
                            "do not mostly disagree with any."
                        ),
                        rung=nxt,
                    )
                )
        return out

    # --- ladder check -------------------------------------------------------------

    def _level(self, level: int) -> Phrase:
        return fill(self._("level {n} (“{name}”)"), n=level, name=self.labels.level(level))

    def _ladder_check(self, r: LadderCheckResult) -> Explained:
        names = self.labels.phase
        levels_or_none = {p: s.level for p, s in r.phases.items()}
        unanswered = [p for p, v in levels_or_none.items() if v is None]
        if unanswered or not levels_or_none:
            set_by = fill(
                self._("Not enough answers: nobody answered for {names}."),
                names=self.join([names(p) for p in unanswered]),
            )
            changes = [
                fill(self._("Get at least one answer about {name}."), name=names(p))
                for p in unanswered
            ]
            return Explained(
                self.labels.rung(None),
                set_by,
                [set_by],
                self.labels.rung(self.labels.model.rungs[0].id),
                changes,
            )
        levels = {p: v for p, v in levels_or_none.items() if v is not None}
        low = min(levels.values())
        setters = [p for p, v in levels.items() if v == low]
        set_by = fill(
            self.n_(
                "{names}: people with lived experience were at {level}, the lowest of the phases.",
                "{names}: people with lived experience were at {level}, the lowest of the phases.",
                len(setters),
            ),
            names=self.join([names(p) for p in setters]),
            level=self._level(low),
        )
        evidence = LevelEvidence(levels, item_noun="phase", value_noun="level")
        rung, placed, nxt, needs = self._placed(r, evidence)
        reasons = [set_by, *placed, *self._shortfalls(nxt, needs, evidence, "phase")]
        changes = [
            fill(
                self._("{item}: move up from {old} to {new}."),
                item=names(c.item or ""),
                old=self._level(c.from_level or 0),
                new=self._level(c.to_level or 0),
            )
            for c in changes_for(needs, evidence)
        ]
        return Explained(rung, set_by, reasons, nxt, changes)

    # --- checklist ------------------------------------------------------------------

    def _gap(self, gap: AchieveGap) -> Phrase:
        if gap.kind == "group":
            return fill(
                self.n_(
                    "Get {more} more statement agreed by {group} (now {have} of {total}).",
                    "Get {more} more statements agreed by {group} (now {have} of {total}).",
                    gap.need - gap.have,
                ),
                more=gap.need - gap.have,
                group=self.labels.group_in_sentence(gap.group or "all"),
                have=gap.have,
                total=gap.total,
            )
        return fill(
            self._(
                "Turn round “{statement}”: {against} of {of} people with lived experience "
                "disagree, and at most half may."
            ),
            statement=self._quotable(gap.statement or ""),
            against=gap.against,
            of=gap.of,
        )

    def _quotable(self, code: str) -> Said:
        """A statement's words to quote inside a sentence (without its own full stop)."""
        said = self.labels.statement(code)
        return Said(said.text.rstrip(". "), said.lang)

    def _checklist(self, r: ChecklistResult) -> Explained:
        a = r.agreement
        if not any(s.answered for s in r.statements.values()):
            set_by = fill(
                self._("Not enough answers: nobody answered any statement other than “{dk}”."),
                dk=self.labels.answer("dk"),
            )
            change = Phrase((self._("Get at least one statement answered."),))
            return Explained(
                self.labels.rung(None),
                set_by,
                [set_by],
                self.labels.rung(self.labels.model.rungs[0].id),
                [change],
            )
        share = self.share(a.agreed, a.total)
        if a.achieved:
            set_by = fill(
                self._("The statements are achieved; everyone together agrees with {share}."),
                share=share,
            )
        else:
            set_by = fill(
                self._(
                    "Everyone who answered agrees with {share}; "
                    "the statements are not achieved yet."
                ),
                share=share,
            )
        closest = sorted(
            (c for c, s in r.statements.items() if not s.agreed),
            key=lambda c: -(-1.0 if r.statements[c].mean is None else r.statements[c].mean or 0.0),
        )
        evidence = ShareEvidence(
            agreed=a.agreed, total=a.total, achieved=a.achieved, closest=tuple(closest)
        )
        rung, placed, nxt, needs = self._placed(r, evidence)
        gaps = [self._gap(g) for g in r.achieve_gaps]
        if a.basis == ["all"]:
            basis = [
                Phrase(
                    (
                        self._(
                            "No group has enough people to be looked at on its own, "
                            "so everyone was looked at together."
                        ),
                    )
                )
            ]
        else:
            basis = [
                fill(
                    self._("The groups looked at: {groups}."),
                    groups=self.join([self.labels.group_in_sentence(g) for g in a.basis]),
                )
            ]
        if a.achieved:
            basis.append(
                Phrase(
                    (
                        self._(
                            "Each of these groups agrees with more than half of the statements, "
                            "and people with lived experience do not mostly disagree with any."
                        ),
                    )
                )
            )
        reasons = [
            set_by,
            *basis,
            *gaps,
            *placed,
            *self._shortfalls(nxt, needs, evidence, "statement"),
        ]
        changes: list[Phrase] = []
        brief: Phrase | None = None
        for req in needs:
            if isinstance(req, Achieved) and not a.achieved:
                changes += gaps or [Phrase((self._("Get the statements achieved."),))]
            elif isinstance(req, (ShareAbove, ShareAtLeast)):
                if isinstance(req, ShareAbove):
                    needed = math.floor(req.share * a.total + 1e-9) + 1
                else:
                    needed = math.ceil(req.share * a.total - 1e-9)
                more = needed - a.agreed
                if more <= 0:
                    continue
                step = fill(
                    self.n_(
                        "Get {more} more statement agreed by everyone who answered "
                        "(now {agreed} of {total}; {needed} needed).",
                        "Get {more} more statements agreed by everyone who answered "
                        "(now {agreed} of {total}; {needed} needed).",
                        more,
                    ),
                    more=more,
                    agreed=a.agreed,
                    total=a.total,
                    needed=needed,
                )
                quoted = [fill("“{s}”", s=self._quotable(c)) for c in closest[: min(more, 3)]]
                if not changes:
                    brief = step
                if quoted:
                    examples = fill(
                        self._("The closest to agreed: {examples}."), examples=self.join(quoted)
                    )
                    step = Phrase((*step.parts, " ", *examples.parts))
                changes.append(step)
        return Explained(rung, set_by, reasons, nxt, changes, brief)

    # --- trend -----------------------------------------------------------------------

    def trend(self, results: list[Result]) -> tuple[str, Phrase]:
        """('up' | 'down' | 'same' | 'first' | 'unknown', words) for the latest of ``results``."""
        if len(results) < 2:
            return "first", Phrase((self._("First round: nothing to compare with yet."),))
        before, now = results[-2], results[-1]
        if before.rung_index is None or now.rung_index is None:
            return "unknown", fill(
                self._("Cannot compare with {round}: not enough answers in one of the rounds."),
                round=before.round,
            )
        was = self.labels.rung(before.rung)
        if now.rung_index > before.rung_index:
            return "up", fill(self._("Up from {rung} in {round}."), rung=was, round=before.round)
        if now.rung_index < before.rung_index:
            return "down", fill(
                self._("Down from {rung} in {round}."), rung=was, round=before.round
            )
        return "same", fill(self._("The same as in {round}."), round=before.round)


__all__ = ["Explained", "Explainer", "Phrase", "fill"]
