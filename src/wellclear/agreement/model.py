"""The :class:`Agreement`: the agreed technical safety procedures, one typed configuration.

Loaded from YAML (:meth:`Agreement.load`), built in (:meth:`Agreement.builtin`,
:meth:`Agreement.default`), written back (:meth:`Agreement.to_yaml`), and turned into what the
algorithms take today (:meth:`Agreement.minima`, :meth:`Agreement.alerting_config`,
:meth:`Agreement.scan_config`, :meth:`Agreement.now_config`, :meth:`Agreement.events_config`,
:meth:`Agreement.zones`, :meth:`Agreement.party_state`). Field by field, with the option and the
class each replaces: ``docs/agreement.md``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from wellclear.agreement.planning import Plans
from wellclear.agreement.sections import (
    Airspace,
    Alerting,
    Conflicts,
    Encounters,
    Frequencies,
    Party,
    Reporting,
    Section,
    Sharing,
    Staleness,
    resolve_path,
)
from wellclear.agreement.source import (
    AgreementError,
    Document,
    Loc,
    LocatedError,
    parse_document,
    problems_of,
    read_document,
)

if TYPE_CHECKING:
    from wellclear.airspace.events import EventsConfig
    from wellclear.airspace.now import NowConfig
    from wellclear.airspace.volume import Volume
    from wellclear.alerting.config import AlertingConfig
    from wellclear.detect.conflicts import Minima
    from wellclear.encounters.config import ScanConfig
    from wellclear.engine.assess import EngineSettings

BUILTIN = ("data", "agreements")  # under the wellclear package


class Agreement(Section):
    """The agreed technical safety procedures between parties that share a sky.

    Every section has defaults (those of the commands without options), so the smallest
    agreement is ``id`` and ``version``. Relative file names (zones, an alerter file) are read
    from the agreement file's directory.
    """

    id: str = Field(description="Short name of the agreement (syria2015).", min_length=1)
    title: str | None = Field(default=None, description="Its full title.")
    version: StrictStr | StrictInt = Field(
        description="Version (a string or an integer), recorded with every alert and incident."
    )
    parties: tuple[Party, ...] = ()
    alerting: Alerting = Alerting()
    conflicts: Conflicts = Conflicts()
    encounters: Encounters = Encounters()
    airspace: Airspace = Airspace()
    frequencies: Frequencies = Frequencies()
    staleness: Staleness = Staleness()
    sharing: Sharing = Sharing()
    reporting: Reporting = Reporting()
    plans: Plans = Plans()

    _base: Path | None = PrivateAttr(None)

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, v: object) -> object:
        if isinstance(v, float):
            raise ValueError(f"version {v!r}: write it as a string in quotes ('{v}') or an integer")
        return v

    @model_validator(mode="after")
    def _parties_known(self) -> Agreement:
        """Parties named once; zones bind declared parties; proximity range above the minima.

        Raises :class:`LocatedError`, a ``ValueError`` that names the field to blame.
        """
        names = [p.name for p in self.parties]
        for i, name in enumerate(names):
            if name in names[:i]:
                first = names.index(name)
                raise LocatedError(
                    ("parties", i, "name"), f"party {name!r} listed twice (also parties[{first}])"
                )
        for i, zone in enumerate(self.airspace.zones):
            for what in ("binds", "exempt"):
                for k, party in enumerate(getattr(zone, what) or ()):
                    if party not in names:
                        raise LocatedError(
                            ("airspace", "zones", i, what, k),
                            f"{party!r} is not among the parties ({', '.join(names) or 'none'})",
                        )
        enc, con = self.encounters, self.conflicts
        for close, minimum in (("horizontal", "horizontal"), ("vertical", "vertical")):
            near = getattr(enc, f"proximity_{close}")
            if near.m < getattr(con, minimum).m:
                raise LocatedError(
                    ("encounters", f"proximity_{close}"),
                    f"{near.text!r} is below conflicts.{minimum} {getattr(con, minimum).text!r}",
                )
        return self

    # --- reading and writing -----------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path) -> Agreement:
        """Read and validate an agreement file; :class:`AgreementError` names file, line, field."""
        p = Path(path)
        return cls.from_document(read_document(p), p.resolve().parent)

    @classmethod
    def from_yaml(cls, text: str, name: str = "<agreement>", base: Path | None = None) -> Agreement:
        """Validate the YAML ``text`` (errors name ``name``); relative files from ``base``."""
        return cls.from_document(parse_document(text, name), base)

    @classmethod
    def from_document(cls, doc: Document, base: Path | None) -> Agreement:
        """Validate a parsed document."""
        try:
            out = cls.model_validate(doc.data, context={"base": base})
        except ValidationError as err:
            raise AgreementError(problems_of(err, doc, allowed_keys)) from None
        out._base = base
        return out

    @classmethod
    def builtin(cls, name: str) -> Agreement:
        """A built-in agreement: ``default`` or ``syria2015`` (:func:`builtin_names`)."""
        if name not in builtin_names():
            raise AgreementError(
                [f"no built-in agreement {name!r}: use one of {', '.join(builtin_names())}"]
            )
        with resources.as_file(_builtin_dir() / f"{name}.yaml") as path:
            return cls.load(path)

    @classmethod
    def default(cls) -> Agreement:
        """The agreement used without ``--agreement``: the commands' own defaults."""
        return cls.builtin("default")

    def to_yaml(self) -> str:
        """The agreement as YAML, every field written (quantities as their text)."""
        return yaml.safe_dump(
            self.model_dump(mode="json", exclude_none=True),
            sort_keys=False,
            allow_unicode=True,
            width=100,
        )

    def replaced(self, values: Mapping[Loc, object], names: Mapping[Loc, str]) -> Agreement:
        """A copy with the fields at ``values``' paths set, validated as the whole document.

        ``names`` names the values (``{("conflicts", "horizontal"): "--horizontal"}``): a value
        that is wrong by itself is said as the option's own error (``--horizontal '5' has no
        unit``), one wrong with the rest of the document is labelled with the name.
        """
        data: dict[str, Any] = self.model_dump(mode="json")
        for loc, value in values.items():
            _check_alone(loc, value, names.get(loc), self._base)
            here: Any = data
            for part in loc[:-1]:
                here = here[part]
            here[loc[-1]] = value
        doc = Document(data, "command line")
        try:
            out = type(self).model_validate(data, context={"base": self._base})
        except ValidationError as err:
            problems = problems_of(err, doc, allowed_keys, names)
            raise AgreementError([p.removeprefix("command line: ") for p in problems]) from None
        out._base = self._base
        return out

    def canonical(self) -> bytes:
        """The canonical form to hash and sign (issue 15): RFC 8785 JSON of the document.

        (:mod:`wellclear.agreement.canonical`); the defaults are written out, so an absent key
        and its default value sign alike.
        """
        from wellclear.agreement.canonical import canonical

        return canonical(self.model_dump(mode="json", exclude_none=True))

    def digest(self) -> str:
        """SHA-256 of :meth:`canonical`, hexadecimal: names this version of the document."""
        return hashlib.sha256(self.canonical()).hexdigest()

    @property
    def base(self) -> Path | None:
        """The directory its relative file names are read from."""
        return self._base

    def path_of(self, text: str) -> Path:
        """A file name of the agreement (zone, alerter file) as a path to open."""
        return resolve_path(text, self._base)

    # --- converters to what the commands take today -------------------------------------------

    def party_state(self) -> dict[str, str]:
        """Party name (lower case) -> ISO 3166-1 alpha-3 state code."""
        return {p.name.lower(): p.state for p in self.parties}

    def minima(self) -> Minima:
        """The conflict-prediction minima (``detect.conflicts.Minima``)."""
        from wellclear.detect.conflicts import Minima

        c = self.conflicts
        return Minima(c.horizontal.m, c.vertical.m, c.lookahead.s)

    def alerting_config(self) -> AlertingConfig:
        """The alerter (``alerting.config.AlertingConfig``), without hysteresis if so agreed."""
        from wellclear.alerting.config import PRESETS, load_config, preset

        a = self.alerting
        config = preset(a.alerter) if a.alerter in PRESETS else load_config(self.path_of(a.alerter))
        return config if a.hysteresis else config.without_hysteresis()

    def scan_config(self) -> ScanConfig:
        """The encounter scan's thresholds (``encounters.config.ScanConfig``)."""
        from wellclear.encounters.config import ScanConfig

        c, e = self.conflicts, self.encounters
        return ScanConfig(
            horizontal_m=c.horizontal.m,
            vertical_m=c.vertical.m,
            proximity_horizontal_m=e.proximity_horizontal.m,
            proximity_vertical_m=e.proximity_vertical.m,
            merge_gap_s=e.merge_gap.s,
            max_gap_s=self.staleness.max_gap.s,
        )

    def now_config(self) -> NowConfig:
        """What ``airspace.now.check_now`` looks for (``airspace.now.NowConfig``)."""
        from wellclear.airspace.now import NowConfig

        return NowConfig(
            lookahead_s=self.airspace.lookahead.s,
            party_state=self.party_state() or None,
            bind_unknown=self.airspace.bind_unknown,
        )

    def events_config(self) -> EventsConfig:
        """How ``airspace.events.track_events`` walks tracks (``airspace.events.EventsConfig``)."""
        from wellclear.airspace.events import EventsConfig

        return EventsConfig(
            max_gap_s=self.staleness.max_gap.s,
            party_state=self.party_state() or None,
            bind_unknown=self.airspace.bind_unknown,
        )

    def zone_specs(self) -> list[str]:
        """The zones as ``airspace.load.load_zones`` specs (files as paths to open)."""
        return [
            z.source if z.source.lower().startswith("sovereign:") else str(self.path_of(z.source))
            for z in self.airspace.zones
        ]

    def zones(self) -> list[Volume]:
        """The agreed volumes (``airspace.load.load_zones``), each binding whom the zone says."""
        from wellclear.airspace.load import load_zones

        out: list[Volume] = []
        for zone, spec in zip(self.airspace.zones, self.zone_specs(), strict=True):
            for v in load_zones(spec):
                binds = v.binds if zone.binds is None else frozenset(zone.binds)
                out.append(dataclasses.replace(v, binds=binds, exempt=v.exempt | set(zone.exempt)))
        return out

    def engine_settings(
        self, *, conflicts: bool = True, alerts: bool = True, airspace: bool = True
    ) -> EngineSettings:
        """What the engine computes (``engine.assess.EngineSettings``) under this agreement.

        ``conflicts``, ``alerts``, ``airspace``: whether the engine predicts conflicts (the
        minima), alert levels (the alerter) and airspace findings (the zones, when there are
        any); a command that needs one of them leaves the others out.
        """
        from wellclear.airspace.index import VolumeIndex
        from wellclear.engine.assess import EngineSettings

        volumes = self.zones() if airspace else []
        return EngineSettings(
            alerting=self.alerting_config() if alerts else None,
            minima=self.minima() if conflicts else None,
            zones=VolumeIndex(volumes) if volumes else None,
            now=self.now_config(),
            max_age_s=self.staleness.max_age.s,
        )

    def frequencies_mhz(self) -> tuple[float, ...]:
        """Distress frequencies then contact frequencies, MHz (what an alert event carries)."""
        f = self.frequencies
        return tuple(q.mhz for q in (*f.distress, *f.contact))


def _builtin_dir() -> Traversable:
    return resources.files("wellclear").joinpath(*BUILTIN)


def builtin_names() -> list[str]:
    """Names of the built-in agreements."""
    return sorted(
        p.name.removesuffix(".yaml") for p in _builtin_dir().iterdir() if p.name.endswith(".yaml")
    )


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class of the mapping at ``loc`` (ints index tuples), if there is one."""
    here: Any = Agreement
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(here, type) and issubclass(here, BaseModel)):
            return None
        info = here.model_fields.get(part)
        if info is None:
            return None
        here = info.annotation
        while get_origin(here) is not None or get_args(here):
            models = [a for a in get_args(here) if isinstance(a, type) and issubclass(a, BaseModel)]
            if not models:
                return None
            here = models[0]
    return here if isinstance(here, type) and issubclass(here, BaseModel) else None


def _check_alone(loc: Loc, value: object, name: str | None, base: Path | None) -> None:
    """Validate ``value`` as the field at ``loc`` alone, its errors naming it ``name``."""
    model = _model_at(loc[:-1])
    field = None if model is None else model.model_fields.get(str(loc[-1]))
    if field is None or name is None:
        return
    try:
        TypeAdapter(field.rebuild_annotation()).validate_python(
            value, context={"what": name, "base": base}
        )
    except ValidationError as err:
        texts = [_message_of(e) for e in err.errors(include_url=False)]
        raise AgreementError([t if t.startswith(name) else f"{name}: {t}" for t in texts]) from None


def _message_of(err: Any) -> str:
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def allowed_keys(loc: Loc) -> list[str] | None:
    """The keys the mapping at ``loc`` may have (for an unknown-key error)."""
    model = _model_at(loc)
    return None if model is None else list(model.model_fields)


def _texts(node: Any) -> Any:
    """Quantities in the schema's defaults as their text (pydantic writes their fields)."""
    if isinstance(node, dict):
        if set(node) == {"text", "value"}:
            return node["text"]
        return {k: _texts(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_texts(v) for v in node]
    return node


def json_schema() -> str:
    """The published JSON Schema of an agreement document (``data/agreement.schema.json``)."""
    schema = _texts(Agreement.model_json_schema(mode="validation"))
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }
    return json.dumps(schema, indent=2, sort_keys=False) + "\n"
