"""The process owner's pathway editor: drafts edited in bpmn-js, lint, publish, diff and migration of cases.

Process owners edit; reviewers may open published versions, diffs and migration previews read-only.
Every change goes through casepath.services (drafts, versions, migration): these views only translate.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, request

from casepath.domain.errors import CasepathError, Forbidden, InvalidForm, NotFound
from casepath.services import catalogue, drafts, lint_rules, migration, versions
from casepath.services.staff import Actor
from web.blueprint import actor, blp, check_csrf, core, go, page, signed_in

EDITORS = ("process_owner",)
VIEWERS = ("process_owner", "reviewer")
MAX_UPLOAD = 2_000_000
DEFAULT_DRAFT = "next"


def _viewer() -> Actor:
    me = actor()
    if not me.has(*VIEWERS):
        raise Forbidden("Only a process owner or a reviewer may open the pathway editor.")
    return me


def _editor() -> Actor:
    me = actor()
    if not me.has(*EDITORS):
        raise Forbidden("Only a process owner may change the pathway.")
    return me


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _version_diagrams(me: Actor, version: int) -> dict[str, str]:
    names = catalogue.get_version(core(), me, version)["diagrams"]
    return {name: catalogue.get_diagram(core(), me, version, name) for name in names}


def _source(me: Actor) -> dict[str, Any]:
    """What the editor has open: a draft (`?draft=`) or a published version (`?version=`, default the newest)."""
    name = request.args.get("draft")
    if name and me.has(*EDITORS):
        found = drafts.get_draft(core(), me, name)
        return {
            "draft": name,
            "version": None,
            "base_version": found["base_version"],
            "names": sorted(found["diagrams"]),
        }
    listed = catalogue.list_versions(core(), me)
    if not listed:
        raise NotFound("No version of the pathway has been published yet.")
    version = _int(request.args.get("version")) or listed[0]["version"]
    names = catalogue.get_version(core(), me, version)["diagrams"]
    return {"draft": None, "version": version, "base_version": version, "names": names}


@blp.get("/owner/editor")
@signed_in
def owner_editor() -> Any:
    me = _viewer()
    source = _source(me)
    asked = request.args.get("diagram")
    diagram = asked if asked in source["names"] else (source["names"][0] if source["names"] else None)
    lint = drafts.lint_draft(core(), me, source["draft"]) if source["draft"] and request.args.get("lint") else None
    here = {"diagram": diagram, **({"draft": source["draft"]} if source["draft"] else {"version": source["version"]})}
    rules = (
        lint_rules.editor_rules(core(), me, draft=source["draft"], version=source["version"], diagram=diagram)
        if diagram and me.has(*EDITORS)
        else None
    )
    return page(
        "owner/editor.html",
        source=source,
        diagram=diagram,
        here=here,
        may_edit=me.has(*EDITORS),
        versions=catalogue.list_versions(core(), me),
        draft_list=drafts.list_drafts(core(), me) if me.has(*EDITORS) else [],
        lint=lint,
        rules=rules,
        findings_here=[f for f in (lint or {}).get("findings", []) if f["diagram"] in ("", diagram)],
        nav_active="editor",
    )


@blp.get("/owner/editor/diagram")
@signed_in
def owner_editor_diagram() -> Any:
    """One diagram's BPMN XML, for the modeler."""
    me = _viewer()
    name = request.args.get("diagram", "")
    draft = request.args.get("draft")
    if draft and me.has(*EDITORS):
        text = drafts.get_draft(core(), me, draft)["diagrams"].get(name)
        if not isinstance(text, str):
            raise NotFound(f"The draft {draft!r} has no diagram called {name[:100]!r}.")
    else:
        text = catalogue.get_diagram(core(), me, _int(request.args.get("version")) or 0, name)
    return Response(text, mimetype="application/xml", headers={"Cache-Control": "no-store"})


def _store(me: Actor, form: dict[str, str], diagram: str, xml: str) -> str:
    """Put one diagram into the draft named in the form (starting it from `base_version` if it is new)."""
    name = drafts.check_name((form.get("draft") or DEFAULT_DRAFT).strip())
    base = _int(form.get("base_version"))
    try:
        found = drafts.get_draft(core(), me, name)
    except NotFound:
        found = None
    if found is None:
        if base is None:
            raise InvalidForm("Open a published version to start a draft from.")
        body: dict[str, Any] = {"diagrams": _version_diagrams(me, base), "base_version": base}
    elif form.get("from_version") == "1":
        raise InvalidForm(f"A draft called {name!r} already exists: open it from the list, or choose another name.")
    else:
        body = {"diagrams": dict(found["diagrams"]), "forms": found["forms"], "base_version": found["base_version"]}
    if diagram not in body["diagrams"] and not diagram.endswith(".bpmn"):
        raise InvalidForm("Name the diagram like assessment.bpmn.")
    body["diagrams"][diagram] = xml
    drafts.save_draft(core(), me, name, body)
    return name


def _back(form: dict[str, str], diagram: str, **extra: Any) -> Any:
    if form.get("draft_saved"):
        return go("web.owner_editor", draft=form["draft_saved"], diagram=diagram, **extra)
    if form.get("from_version") == "1" and _int(form.get("base_version")):
        return go("web.owner_editor", version=form["base_version"], diagram=diagram)
    return go("web.owner_editor", draft=form.get("draft") or DEFAULT_DRAFT, diagram=diagram)


@blp.post("/owner/editor/save")
@signed_in
def owner_editor_save() -> Any:
    """Save the diagram from the modeler into a draft; with `action=lint`, then show the lint."""
    check_csrf()
    me = _editor()
    form = {k: str(v) for k, v in request.form.items()}
    diagram = form.get("diagram", "")
    try:
        form["draft_saved"] = _store(me, form, diagram, form.get("xml", ""))
    except (InvalidForm, NotFound) as err:
        flash(_problem(err), "error")
        return _back(form, diagram)
    if form.get("action") == "lint":
        return _back(form, diagram, lint=1, _anchor="lint")
    flash(f"Saved {diagram} in the draft {form['draft_saved']}.")
    return _back(form, diagram)


@blp.post("/owner/editor/upload")
@signed_in
def owner_editor_upload() -> Any:
    """Replace a diagram of the draft with an uploaded .bpmn file: the same checks as a save."""
    check_csrf()
    me = _editor()
    form = {k: str(v) for k, v in request.form.items()}
    upload = request.files.get("file")
    diagram = (upload.filename or "") if upload else ""
    diagram = form.get("diagram") or diagram
    try:
        if upload is None or not upload.filename:
            raise InvalidForm("Choose a .bpmn file to upload.")
        raw = upload.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            raise InvalidForm("The file is too big: a diagram must be under 2 MB.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidForm("The file must be BPMN XML saved as UTF-8.") from None
        form["draft_saved"] = _store(me, form, diagram, text)
    except (InvalidForm, NotFound) as err:
        flash(_problem(err), "error")
        return _back(form, diagram)
    flash(f"Uploaded {diagram} into the draft {form['draft_saved']}.")
    return _back(form, diagram)


def _problem(err: CasepathError) -> str:
    details = [f"{k}: {'; '.join(v)}" for k, v in getattr(err, "errors", {}).items()]
    return " ".join([err.detail, *details[:5]])


@blp.post("/owner/drafts/<name>/publish")
@signed_in
def owner_publish(name: str) -> Any:
    check_csrf()
    me = _editor()
    diagram = request.form.get("diagram", "")
    try:
        published = drafts.publish_draft(core(), me, name, request.form.get("reason", ""))
    except CasepathError as err:
        if err.code in ("not_found", "forbidden"):
            raise
        flash(_problem(err), "error")
        return go("web.owner_editor", draft=name, diagram=diagram, lint=1)
    flash(f"Published version {published['version']}: {published['note']}")
    return go("web.owner_diff", version=published["version"])


@blp.get("/owner/versions/<int:version>/diff")
@signed_in
def owner_diff(version: int) -> Any:
    me = _viewer()
    against = _int(request.args.get("against")) or max(version - 1, 1)
    found = versions.diff_versions(core(), me, against, version)
    return page("owner/diff.html", diff=found, version=version, against=against, nav_active="editor")


@blp.route("/owner/versions/<int:version>/migration", methods=["GET", "POST"])
@signed_in
def owner_migration(version: int) -> Any:
    me = _viewer()
    results: list[dict[str, Any]] = []
    if request.method == "POST":
        check_csrf()
        _editor()
        try:
            results = migration.migrate(
                core(), me, request.form.getlist("case_ids"), version, request.form.get("reason", "")
            )
        except InvalidForm as err:
            flash(_problem(err), "error")
            return go("web.owner_migration", version=version)
        moved = sum(1 for r in results if r["migrated"])
        flash(f"Moved {moved} of {len(results)} case(s) to version {version}.")
    found = migration.preview(core(), me, version)
    return page(
        "owner/migration.html",
        preview=found,
        results=results,
        version=version,
        may_edit=me.has(*EDITORS),
        nav_active="editor",
    )
