"""Ladder models (data files) and the classifier that places a result on a rung.

A ladder model is a YAML file in ``ladders/``: its rungs, lowest first, and for
each instrument one rule per rung. A rule is a list of requirements, all of
which must hold; the result is the highest rung whose rule holds. Requirements
only ever ask for a measure to be *at least* something, so raising an answer
can never lower a rung.

The scorers turn answers into evidence (:class:`LevelEvidence` for the
self-reflection stages and the ladder-check phases, :class:`ShareEvidence`
for the checklist); :func:`place` turns evidence into a :class:`Placement`:
the rung, the reasons (the rule that placed it and the rule that capped it),
and the smallest set of changes that would reach the next rung up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coprod_connectors.errors import ConfigError

BUILTIN_LADDERS = ("five-rung", "seven-rung")
LEVEL_INSTRUMENTS = ("self-reflection", "ladder-check")
SHARE_INSTRUMENTS = ("checklist",)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- requirements --------------------------------------------------------------------


class Lowest(_Model):
    """Every item (principle or phase) at ``at_least`` or above."""

    kind: Literal["lowest"]
    at_least: int = Field(ge=0)


class Count(_Model):
    """At least ``count`` items at ``at_least`` or above."""

    kind: Literal["count"]
    count: int = Field(ge=1)
    at_least: int = Field(ge=0)


class Items(_Model):
    """Each named item at ``at_least`` or above."""

    kind: Literal["items"]
    items: list[str] = Field(min_length=1)
    at_least: int = Field(ge=0)


class ShareAbove(_Model):
    """The share of statements agreed is above ``share``."""

    kind: Literal["share_above"]
    share: float = Field(ge=0, le=1)


class ShareAtLeast(_Model):
    """The share of statements agreed is ``share`` or more."""

    kind: Literal["share_at_least"]
    share: float = Field(ge=0, le=1)


class Achieved(_Model):
    """The checklist's achieved rule holds."""

    kind: Literal["achieved"]


LevelRequirement = Lowest | Count | Items
Requirement = Annotated[
    Lowest | Count | Items | ShareAbove | ShareAtLeast | Achieved, Field(discriminator="kind")
]


class Rung(_Model):
    """One rung of a ladder."""

    id: str = Field(pattern=r"^[a-z][a-z-]*$")
    label: str = Field(min_length=1)
    description: str = Field(min_length=1)


class RungRule(_Model):
    """What an instrument's result needs to reach one rung."""

    rung: str
    requires: list[Requirement]
    description: str = Field(min_length=1)


class InstrumentRules(_Model):
    """One rule per rung, lowest first, for one instrument."""

    description: str = Field(min_length=1)
    rules: list[RungRule] = Field(min_length=2)


class LadderModel(_Model):
    """A ladder: rungs, lowest first, and each built-in instrument's rules."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    rungs: list[Rung] = Field(min_length=2)
    instruments: dict[str, InstrumentRules]

    @model_validator(mode="after")
    def _consistent(self) -> LadderModel:
        ids = [r.id for r in self.rungs]
        if len(set(ids)) != len(ids):
            msg = "rung ids must be unique"
            raise ValueError(msg)
        missing = [i for i in (*LEVEL_INSTRUMENTS, *SHARE_INSTRUMENTS) if i not in self.instruments]
        if missing:
            msg = f"no rules for {', '.join(missing)}"
            raise ValueError(msg)
        for name, rules in self.instruments.items():
            if [r.rung for r in rules.rules] != ids:
                msg = f"{name}: give one rule per rung, in the rungs' order ({', '.join(ids)})"
                raise ValueError(msg)
            if rules.rules[0].requires:
                msg = f"{name}: the lowest rung's rule must require nothing"
                raise ValueError(msg)
            share_kinds = name in SHARE_INSTRUMENTS
            for rule in rules.rules:
                for req in rule.requires:
                    if isinstance(req, (Lowest, Count, Items)) == share_kinds:
                        msg = f"{name}: {rule.rung}: a {req.kind} requirement does not fit"
                        raise ValueError(msg)
        return self

    def rung(self, index: int) -> Rung:
        return self.rungs[index]

    def index_of(self, rung_id: str) -> int:
        return [r.id for r in self.rungs].index(rung_id)


def parse_ladder(text: str, *, source: str, ours: bool = False) -> LadderModel:
    """A ladder model from YAML text; errors name the source (``ours``: a built-in's, see
    :func:`~coprod_connectors.instruments.loader.load_yaml`)."""
    from coprod_connectors.instruments.loader import load_yaml

    try:
        _, data = load_yaml(text, ours=ours)
        return LadderModel.model_validate(data)
    except ValidationError as exc:
        raise _ladder_problem(exc, source) from exc
    except (yaml.YAMLError, ValueError) as exc:
        msg = f"{source}: not valid YAML: {exc}"
        raise ConfigError(msg) from exc
    except RecursionError:
        msg = f"{source}: nested too deeply to read"
        raise ConfigError(msg) from None


def _ladder_problem(exc: ValidationError, source: str) -> ConfigError:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"])
    msg = f"{source}: {where + ': ' if where else ''}{first['msg']}"
    return ConfigError(msg, hint="see ladders/five-rung.yaml for the format")


@cache
def builtin_ladder(ladder_id: str) -> LadderModel:
    resource = resources.files("coprod_connectors") / "ladders" / f"{ladder_id}.yaml"
    return parse_ladder(resource.read_text(encoding="utf-8"), source=f"{ladder_id}.yaml", ours=True)


def load_ladder(ref: str | LadderModel) -> LadderModel:
    """A built-in ladder by id (``five-rung``, ``seven-rung``) or a YAML file's path. A file
    whose ladder takes a built-in's id is refused unless it is that ladder: results keep
    only the id, and would pass it off as the built-in."""
    if isinstance(ref, LadderModel):
        return ref
    if ref in BUILTIN_LADDERS:
        return builtin_ladder(ref)
    path = Path(ref)
    if path.suffix in {".yaml", ".yml"}:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            msg = f"{ref}: cannot read the ladder file ({exc.strerror})"
            raise ConfigError(msg) from exc
        model = parse_ladder(text, source=path.name)
        if model.id in BUILTIN_LADDERS and model != builtin_ladder(model.id):
            # results, JSON and CSV name a ladder by its id alone: they would claim the built-in
            msg = f"{path.name}: the id {model.id!r} is a built-in ladder's, and this one differs"
            raise ConfigError(msg, hint="give the ladder in the file an id of its own")
        return model
    msg = f"no ladder {ref!r}; the built-in ladders are {', '.join(BUILTIN_LADDERS)}"
    raise ConfigError(msg, hint="or give the path of a ladder YAML file")


# --- evidence and placement ------------------------------------------------------------


@dataclass(frozen=True)
class LevelEvidence:
    """Item values (principle stages, phase levels) in the instrument's order."""

    levels: dict[str, int]
    item_noun: str = "principle"
    value_noun: str = "stage"


@dataclass(frozen=True)
class ShareEvidence:
    """The checklist's measures for the whole subject."""

    agreed: int
    total: int
    achieved: bool
    #: statements not agreed yet, closest to agreement first
    closest: tuple[str, ...] = ()
    #: what stops the achieved rule holding, in words
    achieve_gaps: tuple[str, ...] = ()

    @property
    def share(self) -> float:
        return self.agreed / self.total if self.total else 0.0


Evidence = LevelEvidence | ShareEvidence


class Change(_Model):
    """One change that is part of reaching the next rung."""

    text: str
    item: str | None = None
    from_level: int | None = None
    to_level: int | None = None


@dataclass(frozen=True)
class Placement:
    """Where evidence puts a result, why, and what would move it up."""

    rung_index: int
    reasons: list[str]
    next_index: int | None
    changes: list[Change] = field(default_factory=list)


def place(model: LadderModel, instrument: str, evidence: Evidence) -> Placement:
    """The highest rung whose rule holds, with the reasons and the next rung's changes."""
    rules = model.instruments[instrument].rules
    index = max(i for i, rule in enumerate(rules) if _holds(rule.requires, evidence))
    rung = model.rungs[index]
    reasons = [f"`{rung.id}` on the {model.id} ladder: {rules[index].description}"]
    if index + 1 >= len(rules):
        return Placement(index, reasons, None, [])
    above = rules[index + 1]
    unmet = [r for r in above.requires if not _met(r, evidence)]
    why = "; ".join(_shortfall(r, evidence) for r in unmet)
    reasons.append(f"not `{above.rung}`: {why}")
    return Placement(index, reasons, index + 1, changes_for(above.requires, evidence))


def _holds(requires: list[Requirement], evidence: Evidence) -> bool:
    return all(_met(r, evidence) for r in requires)


def _met(req: Requirement, evidence: Evidence) -> bool:
    if isinstance(evidence, LevelEvidence):
        levels = evidence.levels
        if isinstance(req, Lowest):
            return all(v >= req.at_least for v in levels.values())
        if isinstance(req, Count):
            return sum(v >= req.at_least for v in levels.values()) >= req.count
        if isinstance(req, Items):
            return all(levels.get(i, -1) >= req.at_least for i in req.items)
        return False
    if isinstance(req, ShareAbove):
        return evidence.agreed > req.share * evidence.total
    if isinstance(req, ShareAtLeast):
        return evidence.agreed >= req.share * evidence.total - 1e-9
    if isinstance(req, Achieved):
        return evidence.achieved
    return False


def _shortfall(req: Requirement, evidence: Evidence) -> str:
    """Why a requirement does not hold, in words."""
    if isinstance(evidence, LevelEvidence):
        noun, unit = evidence.item_noun, evidence.value_noun
        levels = evidence.levels
        if isinstance(req, Lowest):
            low = [f"`{i}` is at {v}" for i, v in levels.items() if v < req.at_least]
            return f"it needs every {noun} at {unit} {req.at_least} or above, and {_join(low)}"
        if isinstance(req, Count):
            have = sum(v >= req.at_least for v in levels.values())
            return (
                f"it needs at least {req.count} {_plural(noun, req.count)} at {unit} "
                f"{req.at_least} or above, and {have} {'is' if have == 1 else 'are'}"
            )
        if isinstance(req, Items):
            low = [
                f"`{i}` is at {levels.get(i)}"
                for i in req.items
                if levels.get(i, -1) < req.at_least
            ]
            names = _join([f"`{i}`" for i in req.items])
            return f"it needs {names} at {unit} {req.at_least} or above, and {_join(low)}"
    elif isinstance(req, (ShareAbove, ShareAtLeast)):
        op = "more than" if isinstance(req, ShareAbove) else "at least"
        return (
            f"it needs {op} {req.share:.0%} of the statements agreed, and "
            f"{evidence.agreed} of {evidence.total} ({evidence.share:.0%}) are"
        )
    elif isinstance(req, Achieved):
        return "the statements are not achieved"
    return f"{req.kind} does not apply"


def changes_for(requires: list[Requirement], evidence: Evidence) -> list[Change]:
    """The smallest set of changes after which every requirement holds.

    For levels: the fewest items raised, and among those the smallest raises.
    Items every requirement forces up go first; a count is then met by raising
    items already being raised, then the items closest to the target.
    """
    if isinstance(evidence, ShareEvidence):
        return _share_changes(requires, evidence)
    order = list(evidence.levels)
    targets = dict(evidence.levels)
    for req in requires:
        if isinstance(req, Lowest):
            forced = order
        elif isinstance(req, Items):
            forced = [i for i in req.items if i in targets]
        else:
            continue
        for item in forced:
            targets[item] = max(targets[item], req.at_least)
    for req in requires:
        if not isinstance(req, Count):
            continue
        need = req.count - sum(v >= req.at_least for v in targets.values())
        if need <= 0:
            continue
        candidates = sorted(
            (i for i in order if targets[i] < req.at_least),
            key=lambda i: (targets[i] == evidence.levels[i], -targets[i], order.index(i)),
        )
        for item in candidates[:need]:
            targets[item] = req.at_least
    return [
        Change(
            text=f"raise `{item}` from {evidence.levels[item]} to {targets[item]}",
            item=item,
            from_level=evidence.levels[item],
            to_level=targets[item],
        )
        for item in order
        if targets[item] != evidence.levels[item]
    ]


def _share_changes(requires: list[Requirement], evidence: ShareEvidence) -> list[Change]:
    changes: list[Change] = []
    for req in requires:
        if isinstance(req, Achieved):
            if not evidence.achieved:
                changes.extend(Change(text=gap) for gap in evidence.achieve_gaps)
            continue
        if isinstance(req, ShareAbove):
            needed = math.floor(req.share * evidence.total + 1e-9) + 1
        elif isinstance(req, ShareAtLeast):
            needed = math.ceil(req.share * evidence.total - 1e-9)
        else:
            continue
        more = needed - evidence.agreed
        if more <= 0:
            continue
        text = (
            f"get {more} more {_plural('statement', more)} agreed by everyone who answered "
            f"(now {evidence.agreed} of {evidence.total}; {needed} needed)"
        )
        if evidence.closest:
            text += ", for example " + _join([f"`{c}`" for c in evidence.closest[:more]])
        changes.append(Change(text=text))
    return changes


def _plural(noun: str, count: int) -> str:
    return noun if count == 1 else f"{noun}s"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


__all__ = [
    "BUILTIN_LADDERS",
    "Change",
    "LadderModel",
    "LevelEvidence",
    "Placement",
    "Rung",
    "RungRule",
    "ShareEvidence",
    "builtin_ladder",
    "changes_for",
    "load_ladder",
    "parse_ladder",
    "place",
]
