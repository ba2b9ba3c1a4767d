"""Reviewer pages: the service conformance dashboard (charts, tables, CSV), background exports, and the
diagram heatmap. Every page checks who is asking through the services (reviewer or admin)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

from flask import Response, current_app, jsonify, request, send_file, url_for
from werkzeug.wrappers import Response as BaseResponse

from casepath.conformance.aggregate import GROUP_BY, TABLES
from casepath.domain.errors import BadRequest, CasepathError, Conflict, NotFound
from casepath.domain.rules import RULE_IDS, RULES_BY_ID
from casepath.services import dashboard, heatmap, jobs, reports
from casepath.services.staff import require_role
from web.blueprint import actor, blp, check_csrf, core, go, page, signed_in
from web.report_charts import bar_chart, month_label, nice_maximum

REVIEWERS = ("reviewer", "admin")
GROUP_TITLES = {"team": "Team", "profession": "Lead practitioner's profession"}
DATE_PARTS = ("day", "month", "year")
TITLES = {name: kind.title for name, kind in jobs.KINDS.items()}


def _jobs() -> jobs.JobRegistry:
    """The process's export registry, its folder from CASEPATH_EXPORTS_DIR or var/exports."""
    found = current_app.extensions.get("casepath_jobs")
    if found is None:
        folder = current_app.config.get("CASEPATH_EXPORTS_DIR") or core().settings.root / "var" / "exports"
        found = current_app.extensions.setdefault("casepath_jobs", jobs.JobRegistry(Path(folder)))
    return cast(jobs.JobRegistry, found)


# --- dates from GOV.UK date inputs and query strings ------------------------------------------------


def date_input(args: Any, name: str, label: str, errors: dict[str, str]) -> date | None:
    """A date from the three boxes `name-day`, `name-month`, `name-year`; None if all are empty."""
    parts = [str(args.get(f"{name}-{p}", "")).strip() for p in DATE_PARTS]
    if not any(parts):
        return None
    if not all(parts):
        missing = [p for p, v in zip(DATE_PARTS, parts, strict=True) if not v]
        errors[name] = f"{label} must include a {missing[0]}"
        return None
    try:
        day, month, year = (int(p) for p in parts)
        if not 2000 <= year <= 2100:
            raise ValueError
        return date(year, month, day)
    except ValueError:
        errors[name] = f"{label} must be a real date between 2000 and 2100"
        return None


def iso_date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"`{name}` must be a date like 2025-04-01.", errors={name: ["Enter a date"]}) from None


def default_period(start: date | None, end: date | None) -> tuple[date, date]:
    """The last 12 months up to today unless the reviewer chose otherwise."""
    end = end or reports.today(core())
    return start or end - timedelta(days=364), end


def date_fields(name: str, value: date | None, args: Any) -> dict[str, str]:
    """What to show in the three boxes: what was typed, else the date in use."""
    if any(args.get(f"{name}-{p}") for p in DATE_PARTS):
        return {p: str(args.get(f"{name}-{p}", "")) for p in DATE_PARTS}
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)} if value else {}


# --- the conformance dashboard -------------------------------------------------------------------------


def _charts(report: dict[str, Any], rule: str) -> tuple[list[dict[str, Any]], list[Any]]:
    months = dashboard.monthly(report, rule)
    what = "every rule" if rule == dashboard.ALL_RULES else RULES_BY_ID[rule].title
    rate = bar_chart(
        "chart-on-time",
        f"On-time rate by month, {what}",
        "Met as a share of met, breached and overdue obligations due each month; months with none due have no bar.",
        [(month_label(m["month"]), m["on_time_rate"]) for m in months],
        maximum=1.0,
        percent=True,
    )
    late = [m["breached"] + m["overdue"] for m in months]
    missed = bar_chart(
        "chart-missed",
        f"Obligations breached or overdue by month, {what}",
        "How many obligations due each month were breached or are overdue.",
        [(month_label(m["month"]), float(n)) for m, n in zip(months, late, strict=True)],
        maximum=nice_maximum(late),
    )
    return months, [rate, missed]


def _rule_items(chosen: str) -> list[dict[str, Any]]:
    items = [{"value": dashboard.ALL_RULES, "text": "Every rule", "selected": chosen == dashboard.ALL_RULES}]
    return items + [{"value": r, "text": RULES_BY_ID[r].title, "selected": r == chosen} for r in RULE_IDS]


@blp.app_template_filter("month_name")
def month_name(month: str) -> str:
    """`2025-04` → `April 2025`."""
    return f"{date.fromisoformat(month + '-01'):%B %Y}"


@blp.get("/reports")
@signed_in
def reports_home() -> BaseResponse:
    return go("web.conformance_dashboard")


@blp.get("/reports/conformance")
@signed_in
def conformance_dashboard() -> Any:
    me = actor()
    require_role(me, *REVIEWERS)
    errors: dict[str, str] = {}
    start = date_input(request.args, "from", "The start date", errors)
    end = date_input(request.args, "to", "The end date", errors)
    group_by = request.args.get("group_by", "team")
    if group_by not in GROUP_BY:
        errors["group_by"] = "Choose team or lead practitioner's profession"
    rule = request.args.get("rule", dashboard.ALL_RULES)
    if rule not in (dashboard.ALL_RULES, *RULE_IDS):
        errors["rule"] = "Choose a rule from the list"
    start, end = default_period(start, end)
    if not errors and end < start:
        errors["to"] = "The end date must be the same as or after the start date"
    if not errors and end - start > reports.MAX_PERIOD:
        errors["to"] = "Choose a period of at most five years"
    context: dict[str, Any] = {
        "start": start, "end": end, "group_by": group_by, "rule": rule, "errors": errors,
        "from_fields": date_fields("from", start, request.args), "to_fields": date_fields("to", end, request.args),
        "rule_items": _rule_items(rule), "group_titles": GROUP_TITLES, "tables": TABLES,
    }  # fmt: skip
    if errors:
        items = [
            {"text": text, "href": f"#{key}-day" if key in ("from", "to") else f"#{key}"}
            for key, text in errors.items()
        ]
        return page("reports/conformance.html", 400, error_items=items, report=None, **context)
    report = dashboard.conformance_dashboard(core(), me, start, end, group_by)
    months, charts = _charts(report, rule)
    csv_query = {"from": start.isoformat(), "to": end.isoformat(), "group_by": group_by}
    return page("reports/conformance.html", report=report, months=months, charts=charts, csv_query=csv_query, **context)


@blp.get("/reports/conformance/<table>.csv")
@signed_in
def conformance_csv(table: str) -> Response:
    """One table of the dashboard as CSV, for the same period and grouping."""
    if table not in TABLES:
        raise NotFound(f"There is no table called {table!r}: choose one of {', '.join(TABLES)}.")
    group_by = request.args.get("group_by", "team")
    start, end = default_period(iso_date(request.args.get("from"), "from"), iso_date(request.args.get("to"), "to"))
    report = reports.service_conformance(core(), actor(), start, end, group_by=group_by)
    return Response(
        reports.conformance_csv(report, table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="conformance-{table}-{start}-{end}.csv"'},
    )


# --- background exports --------------------------------------------------------------------------------


def _export_params(kind: str, form: Any, errors: dict[str, str]) -> dict[str, Any]:
    if kind in ("xes", "ocel"):
        start = date_input(form, "from", "The start date", errors)
        end = date_input(form, "to", "The end date", errors)
        if not errors and (start is None or end is None):
            errors["from" if start is None else "to"] = "Enter the dates the export covers"
        return {"from": start, "to": end}
    params: dict[str, Any] = {}
    year = str(form.get("year", "")).strip()
    if not year.isdigit():
        errors["year"] = "Enter a collection year, for example 2026"
    else:
        params["year"] = int(year)
    if kind == "workforce":
        quarter = str(form.get("quarter", ""))
        if quarter not in ("1", "2", "3", "4"):
            errors["quarter"] = "Choose a quarter"
        else:
            params["quarter"] = int(quarter)
    return params


def _exports_page(status: int = 200, errors: dict[str, str] | None = None, form: Any = None) -> tuple[str, int]:
    me = actor()
    mine = _jobs().list(core(), me)
    errors, form = errors or {}, form or {}
    kind = form.get("kind", "")
    hrefs = {"from": "#from-day", "to": "#to-day", "year": f"#{kind}-year", "quarter": "#quarter", "kind": "#kind"}
    items = [{"text": text, "href": hrefs[key]} for key, text in errors.items()]
    start, end = default_period(None, None)
    return page(
        "reports/exports.html", status, jobs=mine, kinds=jobs.kinds_for(me), titles=TITLES,
        errors=errors, error_items=items, form=form, from_fields=date_fields("from", start, form),
        to_fields=date_fields("to", end, form), running=any(j.status in (jobs.QUEUED, jobs.RUNNING) for j in mine),
        default_year=end.year + (1 if end.month > 3 else 0),
    )  # fmt: skip


@blp.get("/reports/exports")
@signed_in
def exports() -> Any:
    require_role(actor(), *REVIEWERS)
    return _exports_page()


@blp.post("/reports/exports")
@signed_in
def exports_start() -> Any:
    check_csrf()
    me = actor()
    require_role(me, *REVIEWERS)
    kind = request.form.get("kind", "")
    if kind not in jobs.KINDS:
        raise BadRequest("Choose one of the exports on the page.")
    require_role(me, *jobs.KINDS[kind].roles)
    errors: dict[str, str] = {}
    params = _export_params(kind, request.form, errors)
    if errors:
        return _exports_page(400, errors, request.form)
    try:
        job = _jobs().start(core(), me, kind, params)
    except CasepathError as err:
        if err.code not in ("bad_request", "conflict", "invalid_form"):
            raise
        field = "year" if kind in ("census", "workforce") else "kind" if err.code == "conflict" else "to"
        return _exports_page(409 if err.code == "conflict" else 400, {field: err.detail}, request.form)
    return go("web.export_job", job_id=job.id)


@blp.get("/reports/exports/<job_id>")
@signed_in
def export_job(job_id: str) -> Any:
    job = _jobs().get(core(), actor(), job_id)
    return page("reports/export_job.html", job=job, running=job.status in (jobs.QUEUED, jobs.RUNNING))


@blp.get("/reports/exports/<job_id>/status")
@signed_in
def export_job_status(job_id: str) -> Any:
    """The job's progress for the page's poller (progress.js)."""
    job = _jobs().get(core(), actor(), job_id)
    return jsonify({"status": job.status, "done": job.done, "total": job.total, "percent": job.percent})


@blp.get("/reports/exports/<job_id>/download")
@signed_in
def export_download(job_id: str) -> Any:
    try:
        path, job = _jobs().result(core(), actor(), job_id)
    except Conflict as err:
        return page("error.html", 409, title="The export is not ready", detail=err.detail)
    return send_file(path, mimetype=job.mimetype, as_attachment=True, download_name=job.filename, max_age=0)


# --- the diagram heatmap ---------------------------------------------------------------------------------


def _version_arg() -> int | None:
    value = request.args.get("version")
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise BadRequest("`version` must be a version number, like 1.", errors={"version": ["Enter a number"]})
    return int(value)


@blp.get("/reports/heatmap")
@signed_in
def heatmap_page() -> Any:
    found = heatmap.heatmap(core(), actor(), _version_arg(), request.args.get("diagram"))
    data_url = url_for("web.heatmap_data", version=found["version"], diagram=found["diagram"])
    versions = [{"value": str(v), "text": f"Version {v}", "selected": v == found["version"]}
                for v in range(found["latest_version"], 0, -1)]  # fmt: skip
    diagrams = [{"value": d, "text": diagram_title(d), "selected": d == found["diagram"]} for d in found["diagrams"]]
    return page("reports/heatmap.html", found=found, data_url=data_url, version_items=versions, diagram_items=diagrams)


@blp.app_template_filter("diagram_title")
def diagram_title(name: str) -> str:
    """`cin_plan_review.bpmn` → `Cin plan review`."""
    return name.removesuffix(".bpmn").replace("_", " ").capitalize()


@blp.get("/reports/heatmap/data")
@signed_in
def heatmap_data() -> Any:
    """The diagram's XML and each step's figures, for the bpmn-js overlays (heatmap.js)."""
    return jsonify(heatmap.heatmap(core(), actor(), _version_arg(), request.args.get("diagram")))
