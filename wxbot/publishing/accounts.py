"""One issue to several official accounts at once: a thread per account, a result per account.

Each account runs the ordinary pipeline (:func:`~wxbot.publishing.publish_issue`) on its own
runtime (``runtime.for_account(name)``) with its own WeChat client, token, uploads, draft and
clientmsgid, and records its own run. Accounts share nothing on the WeChat side, so they go
concurrently, and one account's failure neither stops nor repeats the others': it is
resumed alone (``wxbot --account NAME publish …``), the others' records making the re-run
skip what they did.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..archive import get_issue
from ..errors import WxbotError
from ..runtime import Runtime
from ..storage.publish_runs import StepRow
from .pipeline import publish_issue
from .records import PublishRecord

logger = logging.getLogger(__name__)

#: Called with an account's name and each step it records, from that account's thread.
AccountProgress = Callable[[str, StepRow], None]


@dataclass(frozen=True)
class AccountOutcome:
    """How publishing went on one account: its record, or the error that stopped it."""

    account: str
    record: PublishRecord | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """Return whether the account's run ended without an error."""
        return self.error is None


def publish_to_accounts(
    runtime: Runtime,
    issue_id: str,
    mode: str,
    accounts: Sequence[str],
    *,
    tag_id: int | None = None,
    preview_wxname: str | None = None,
    progress: AccountProgress | None = None,
    wait: float | None = None,
) -> list[AccountOutcome]:
    """Take an issue to each of ``accounts`` concurrently; return their outcomes in that order.

    An account that fails (WeChat refuses, no answer, a bad account name) is reported in its
    outcome; the others go on. Previews go to ``preview_wxname`` (a WeChat ID any account can
    reach); an openid belongs to one account, so mass mode previews on ``[publish]
    preview_openids`` only for the default account.
    :raises IssueNotFound: when the issue is not archived (before any account starts).
    """
    get_issue(runtime, issue_id)
    names = list(dict.fromkeys(accounts))
    if not names:
        return []

    def one(name: str) -> AccountOutcome:
        def step(row: StepRow) -> None:
            if progress is not None:
                progress(name, row)

        try:
            record = publish_issue(
                runtime.for_account(name), issue_id, mode, tag_id=tag_id,
                preview_wxname=preview_wxname, progress=step, wait=wait,
            )  # fmt: skip
        except WxbotError as exc:
            return AccountOutcome(name, error=exc)
        except Exception as exc:  # one account's bug or outage must not hide the others'
            logger.exception("publishing %s to account %s failed unexpectedly", issue_id, name)
            return AccountOutcome(name, error=exc)
        return AccountOutcome(name, record=record)

    with ThreadPoolExecutor(len(names), thread_name_prefix="wxbot-publish") as pool:
        return list(pool.map(one, names))
