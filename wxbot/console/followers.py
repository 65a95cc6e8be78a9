"""The followers page: what followers asked, what they ask most, what found nothing; keyword rules.

Everyone signed in reads it; only admins add or remove keyword rules (an editor's POST is 403).
Each official account has its own rules: the page shows and edits those of the account chosen
on it (``?account=NAME``, the default account when none is; an unknown name is 404).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..callback import keyword_rules, query_report
from ..config.accounts import DEFAULT_ACCOUNT
from ..local_time import local_time
from ..runtime import Runtime, get_runtime
from . import audit
from .accounts import acting_runtime
from .auth import admin_required, login_required
from .outcomes import explain_failure

bp = Blueprint("console_followers", __name__, url_prefix="/console/followers")

#: Messages on one page of the log.
PER_PAGE = 50


@bp.get("")
@login_required
def index() -> str:
    """Show the query log (newest first, by page), top and missed queries, and the rules."""
    runtime = get_runtime(current_app)
    rules_of = acting_runtime()
    period = request.args.get("period", "week")
    if period not in query_report.PERIODS:
        period = "week"
    page = request.args.get("page", "1")
    log = query_report.query_log(runtime, int(page) if page.isdigit() else 1, PER_PAGE)
    return render_template(
        "console/followers.html",
        log=log,
        period=period,
        periods=list(query_report.PERIODS),
        since=local_time(query_report.period_start(runtime, period), runtime.tz),
        top=query_report.top_queries(runtime, period),
        missed=query_report.missed_queries(runtime, period),
        rules=keyword_rules.list_rules(rules_of),
        rules_account=rules_of.account,
        accounts=_account_names(runtime),
        match_kinds=keyword_rules.MATCH_KINDS,
        shown=lambda moment: local_time(moment, runtime.tz),
    )


@bp.post("/rules")
@admin_required
def add_rule() -> Response:
    """Add a keyword rule answering with a text or with an issue."""
    form = request.form
    runtime = acting_runtime()
    keyword = form.get("keyword", "")
    answer = "issue " + form.get("issue_id", "") if form.get("answer") == "issue" else "text"
    answer += _for_account(runtime.account)
    try:
        rule_id = keyword_rules.add_rule(
            runtime,
            keyword,
            form.get("reply", "") if form.get("answer") != "issue" else "",
            form.get("match", "exact"),
            issue_id=form.get("issue_id") if form.get("answer") == "issue" else None,
        )
    except ValueError as exc:
        audit.record("rule-add", keyword, "refused", str(exc))
        flash(explain_failure(exc).message("Adding the rule"), "error")
    else:
        audit.record("rule-add", keyword, "ok", f"rule {rule_id}: {answer}")
        followers = "followers" + _for_account(runtime.account)
        flash(f"Added rule {rule_id}: {followers} sending “{keyword.strip()}” get it.", "ok")
    return _back_to_rules(runtime.account)


@bp.post("/rules/<int:rule_id>/remove")
@admin_required
def remove_rule(rule_id: int) -> Response:
    """Remove a keyword rule of the account the page shows."""
    runtime = acting_runtime()
    target = f"rule {rule_id}{_for_account(runtime.account)}"
    if keyword_rules.remove_rule(runtime, rule_id):
        audit.record("rule-remove", target, "ok")
        flash(f"Removed {target}.", "ok")
    else:
        audit.record("rule-remove", target, "refused", "no such rule")
        flash(f"There is no {target} (removed already?). Next: reload the page.", "error")
    return _back_to_rules(runtime.account)


def _account_names(runtime: Runtime) -> list[str]:
    every = runtime.all_settings or runtime.settings
    return every.account_names()


def _for_account(name: str) -> str:
    return "" if name == DEFAULT_ACCOUNT else f" of account {name}"


def _back_to_rules(account: str) -> Response:
    if account == DEFAULT_ACCOUNT:
        return redirect(url_for(".index") + "#rules")
    return redirect(url_for(".index", account=account) + "#rules")
