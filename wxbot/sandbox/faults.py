"""Faults a test injects per API path: errcodes, delays, dropped connections, failed jobs.

``when="before"``: the call is not processed (nothing happened). ``when="after"``: the call
took effect, then the client gets the errcode, waits, or hears nothing — the case that
matters for ``message/mass/sendall``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from . import limits

WHEN = ("before", "after")


def normalize_path(path: str) -> str:
    """Return ``path`` as an endpoint name: ``/cgi-bin/draft/add`` → ``draft/add``."""
    name = path.strip().strip("/")
    return name.removeprefix("cgi-bin/")


@dataclass
class Fault:
    """One injected fault for the next ``times`` calls to ``path`` (``*`` = every path)."""

    path: str
    when: str = "before"
    errcode: int | None = None
    errmsg: str | None = None
    delay: float = 0.0
    drop: bool = False
    times: int = 1
    publish_status: int | None = None
    fail_idx: list[int] = field(default_factory=list)
    mass_status: str | None = None
    #: Matching calls to let through before the fault fires: ``skip=14`` hits the 15th call
    #: (the 15th day a collection asks the data cube for).
    skip: int = 0

    def __post_init__(self) -> None:
        self.path = normalize_path(self.path)
        if self.when not in WHEN:
            raise ValueError(f"when must be before or after, not {self.when!r}")
        if self.times < 1:
            raise ValueError("times must be at least 1")
        if self.skip < 0:
            raise ValueError("skip must not be negative")
        if self.delay < 0:
            raise ValueError("delay must not be negative")
        if self.publish_status is not None and self.publish_status not in limits.PUBLISH_STATUSES:
            raise ValueError(f"publish_status must be 0–6, not {self.publish_status}")
        if not (self.is_outcome or self.errcode is not None or self.delay or self.drop):
            raise ValueError("a fault needs an errcode, a delay, drop, or a job outcome")

    @property
    def is_outcome(self) -> bool:
        """Return whether this fault decides how an asynchronous job ends."""
        return self.publish_status is not None or self.mass_status is not None

    def matches(self, name: str) -> bool:
        """Return whether this fault applies to endpoint ``name``."""
        return self.path in ("*", name)

    def describe(self) -> str:
        """Return a short label for the request log, e.g. ``after: drop``."""
        parts = [
            f"delay {self.delay}s" if self.delay else "",
            "drop" if self.drop else "",
            f"errcode {self.errcode}" if self.errcode is not None else "",
        ]
        return f"{self.when}: " + ", ".join(p for p in parts if p)

    def as_dict(self) -> dict[str, Any]:
        """Return the fault as JSON-able data."""
        return asdict(self)


class Faults:
    """The queue of pending faults; thread-safe, consumed in injection order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def inject(
        self,
        path: str,
        *,
        errcode: int | None = None,
        errmsg: str | None = None,
        delay: float = 0.0,
        drop: bool = False,
        when: str = "before",
        times: int = 1,
        skip: int = 0,
    ) -> Fault:
        """Make the next ``times`` calls to ``path`` (after ``skip``) fail, wait, or drop."""
        return self.add(
            Fault(
                path,
                when=when,
                errcode=errcode,
                errmsg=errmsg,
                delay=delay,
                drop=drop,
                times=times,
                skip=skip,
            )
        )

    def fail_publish(
        self,
        publish_status: int = limits.PUBLISH_FAILED,
        fail_idx: Iterable[int] = (1,),
        times: int = 1,
    ) -> Fault:
        """Make the next ``times`` publishes end with ``publish_status`` instead of success."""
        return self.add(
            Fault(
                "freepublish/submit",
                publish_status=publish_status,
                fail_idx=list(fail_idx),
                times=times,
            )
        )

    def fail_mass_send(self, status: str = "send fail", times: int = 1) -> Fault:
        """Make the next ``times`` mass sends end with ``status`` (e.g. ``err(30003)``)."""
        return self.add(Fault("message/mass/sendall", mass_status=status, times=times))

    def add(self, fault: Fault) -> Fault:
        """Queue ``fault`` and return it."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def add_from_json(self, data: Mapping[str, Any]) -> Fault:
        """Queue a fault given as JSON (the fields of :class:`Fault`)."""
        known = set(Fault.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        if "path" not in data:
            raise ValueError("a fault needs a path")
        return self.add(Fault(**dict(data)))

    def take(self, name: str, when: str) -> Fault | None:
        """Consume and return the first transport fault for ``name`` at ``when``."""
        return self._take(lambda f: not f.is_outcome and f.when == when and f.matches(name))

    def take_outcome(self, name: str) -> Fault | None:
        """Consume and return the first job-outcome fault for ``name``."""
        return self._take(lambda f: f.is_outcome and f.matches(name))

    def _take(self, wanted: Any) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if wanted(fault):
                    if fault.skip:
                        fault.skip -= 1
                        return None
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        """Return the faults not yet used up."""
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def clear(self) -> None:
        """Forget every pending fault."""
        with self._lock:
            self._faults.clear()
