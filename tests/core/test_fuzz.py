"""No answer ≥ 500, whatever is sent: a property-based fuzz test generated from the URL map.

Every route of the URL map, as each persona the authorisation matrix lets reach it, gets hostile
values (Unicode digits, huge integers, NUL and other control characters, CR/LF, bidirectional
controls, 100 kB strings, empty values, file parts in text fields, odd files) in the fields its
pages really send and in every parameter its view reads (tests/support/fuzzing.py finds both), with
a valid CSRF token, sometimes as htmx; its `<int:…>` and string path parts get huge numbers and
NUL. A route that no test group claims, or a form route that no page of the scene posts to, fails
the test: a new route or field cannot be forgotten.

Each route first gets a sweep (each field alone meets one value of each class, the rest filled
as a person would), then hypothesis examples (seeded per route: the same run every time) mixing
classes, fields, people, encodings and htmx. The world is put back as the pages showed it
(tests.support.fuzzing.Snapshot) as soon as an answer says a form was taken, so that what the fuzz
deletes, cancels or closes does not starve the rest. Every 500 is collected with the exception
the app logged; the test fails at the end with the distinct ones. The figures (requests, answers
by status) reach the terminal summary (tests/fixtures/reporting.py), under xdist too.
"""

from __future__ import annotations

import io
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import monotonic, process_time
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException
from werkzeug.routing import AnyConverter, IntegerConverter, PathConverter, RequestRedirect

from app.agenda import tokens as agenda_tokens
from app.auth.invitations import InvitationRequest, invite
from app.devmail import mailbox
from app.devmail.views import URL as MAIL_URL
from app.extensions import db
from app.models import OutboxMessage, OutboxStatus, Role
from app.models.calendar import SchoolHoliday
from app.tickets import planning
from app.tickets.attachments import store_upload
from app.tickets.service import ActionInput, apply_action, pause_clocks
from app.tickets.storage import settings as attachment_settings
from app.tickets.workflow import Action
from tests.auth.test_authorization_matrix import (
    ADMIN,
    ALLOWED,
    ANON,
    ASSISTANT,
    COORDINATOR,
    OTHER_SUPPLIER,
    OTHER_TEACHER,
    PERSONAS,
    SUPPLIER,
    TEACHER,
)
from tests.support import factories
from tests.support.environment import drain_queue
from tests.support.fuzzing import (
    FILE_NAMES,
    FILES,
    PATH_INTS,
    PATH_SWEEP_INTS,
    PATH_SWEEP_TEXT,
    PNG,
    RAW_BYTES,
    SWEEP,
    TEXT,
    ErrorLog,
    Failure,
    Figures,
    RecordingRequest,
    Snapshot,
    describe,
    encode_query,
    encode_segment,
    multipart_body,
    parse_page,
    recording,
)
from tests.support.tickets import build_world
from tests.support.web import csrf_token, signed_in

# Test groups, spread by xdist: each blueprint belongs to one; the workflow actions (the heaviest
# pages) have a group of their own.
GROUP_OF_BLUEPRINT = {
    "tickets": "tickets",
    "auth": "auth",
    "admin": "admin",
    "directory": "directory",
    "dashboard": "directory",
    "core": "pages",
    "static": "pages",
    "sla": "pages",
    "agenda": "pages",
    "mail_actions": "pages",
    "mail_in": "admin",
    "devmail": "pages",
    "locales": "pages",
}
OWN_GROUP = {"tickets.act": "actions", "tickets.visit_message": "actions"}
GROUPS = ("actions", "tickets", "auth", "admin", "directory", "pages")
EXAMPLES = {  # hypothesis' examples per group, after the sweep (a pass's budget: ~2 minutes)
    "actions": 350,
    "tickets": 350,
    "auth": 300,
    "admin": 300,
    "directory": 250,
    "pages": 250,
}
FOLLOW = 4  # links followed to each route, per persona (the pages of a list are alike)
BASE = "http://relais.test"


def group_of(endpoint: str) -> str | None:
    blueprint = endpoint.rpartition(".")[0] or endpoint
    return OWN_GROUP.get(endpoint) or GROUP_OF_BLUEPRINT.get(blueprint)


# ------------------------------------------------------------------ the world the fuzz walks


def _next_working_day_10h() -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=1)
    while day.weekday() >= 5 or day.weekday() == 2:  # no weekend, no Wednesday (afternoon off)
        day += timedelta(days=1)
    return planning.to_utc(day, time(10, 0))


def _advance(world, ticket, steps):
    """Bring a ticket on through the service, at today's time: the links its mails carry (the
    teacher's « Approuver ») must still be valid when the fuzz finds them."""
    now = datetime.now(UTC) - timedelta(minutes=10)  # a link signed in the future is refused
    for minutes, (who, action, values) in enumerate(steps, start=1):
        ticket = apply_action(
            who,
            ticket.id,
            action,
            values,
            version=ticket.version,
            now=now + timedelta(minutes=minutes),
        ).ticket
    return ticket


def _mails_with_token_links(app) -> list[str]:
    """The mails whose links carry a token (invitation, reset, answer): the walk opens them to
    find pages the fuzz could not reach with a made-up token."""
    adapter = app.url_map.bind("relais.test", url_scheme="http")
    keys = []
    for message in mailbox.messages():
        for url in MAIL_URL.findall(message.part("plain") or ""):
            try:
                rule, _args = adapter.match(urlsplit(url).path, return_rule=True)
            except (HTTPException, RequestRedirect):
                continue
            if "token" in rule.arguments:
                keys.append(message.key)
                break
    return keys


@dataclass
class Scene:
    people: dict[str, str]  # persona → the address it signs in with
    values: dict[str, list]  # path argument → the values the scene offers (the first is used)
    typed: dict[str, str]  # what a person would type in fields naming a row of the scene


def build_scene(app) -> Scene:
    world = build_world()
    plan = (world.supplier_user, Action.PLAN, ActionInput(planned_at=_next_working_day_10h()))
    finish = (world.supplier_user, Action.FINISH, ActionInput(summary="Alimentation remplacée."))
    approve = (world.teacher, Action.APPROVE, ActionInput())
    cancel = (world.assistant, Action.CANCEL, ActionInput(reason="Doublon."))
    tickets = [
        _advance(world, world.new_ticket(), steps)
        for steps in ([], [plan], [plan, finish], [plan, finish, approve], [cancel])
    ]
    # Clocks paused on the visit's ticket (« Reprendre »).
    tickets[1] = pause_clocks(world.supplier_user, tickets[1].id, "part", "Pièce commandée.").ticket
    ticket = tickets[0]
    attachment = store_upload(
        ticket, FileStorage(io.BytesIO(PNG), filename="photo.png"), world.assistant
    )
    invitation = invite(
        world.assistant,
        InvitationRequest(email="nouveau@ecole.example.com", role=Role.TEACHER, site=world.site),
    )
    device = factories.equipment(supplier=world.supplier, site=world.site)
    holiday = SchoolHoliday(
        name="Congé", starts_on=date(2026, 2, 16), ends_on=date(2026, 3, 1), provisional=True
    )  # provisional: the page offers « Confirmer »
    db.session.add(holiday)
    # The supplier's company has a calendar link (regenerate), the coordinator none yet (create).
    agenda_tokens.ensure(world.supplier)
    db.session.commit()
    # A reset link for someone the fuzz does not sign in as (using it signs the account out),
    # asked for as a person would.
    client = app.test_client()
    body = {"email": world.colleague_teacher.email, "csrf_token": csrf_token(client)}
    client.post("/mot-de-passe/oubli", data=body).close()
    drain_queue(app)  # with Redis, the mails wait in the queue: the links are in them
    failed = db.session.scalar(select(OutboxMessage).order_by(OutboxMessage.id))
    failed.status, failed.last_error = OutboxStatus.FAILED, "550 5.1.1 No such user"
    db.session.commit()
    people = {
        ASSISTANT: world.assistant.email,
        COORDINATOR: world.coordinator.email,
        ADMIN: world.admin.email,
        SUPPLIER: world.supplier_user.email,
        OTHER_SUPPLIER: world.other_supplier_user.email,
        TEACHER: world.teacher.email,
        OTHER_TEACHER: world.other_teacher.email,
    }
    values = {
        "reference": [t.reference for t in tickets],
        "attachment_id": [attachment.id],
        "supplier_id": [world.supplier.id],
        "fe": [world.site.establishment.fase],
        "fi": [world.site.fi],
        "site_id": [world.site.id],
        # An active user (« Désactiver ») and an inactive one (« Réactiver »).
        "user_id": [world.supplier_colleague.id, world.inactive_coordinator.id],
        "invitation_id": [invitation.id],
        "key": _mails_with_token_links(app),
        "token": ["not-a-valid-token"],
        "action": ["plan"],
        "filename": ["relais.css"],
        "message_id": [failed.id],
        "equipment_id": [device.id],
        "what": ["fiches"],
        "fmt": ["csv"],
        "identifier": [device.label],
        "holiday_id": [holiday.id],
        "code": ["fwb", "dg"],  # a school calendar
        "year": [2026],  # a school year, by its first calendar year
        # « Catalogue »: a category's and a request type's names.
        "kind": ["categorie", "type"],
        "row_id": [world.category.id, world.request_type.id],
        "language": ["fr", "de"],  # the language switch
    }
    typed = {"site": str(world.site.fi)}
    return Scene(people=people, values=values, typed=typed)


# ------------------------------------------------------------------ what is fuzzed


@dataclass
class Field:
    name: str
    where: str  # "query" or "body"
    kind: str
    values: list[str]
    sent: bool  # sent when nobody touches it


@dataclass
class Case:
    endpoint: str
    method: str
    path: str
    rule: object
    args: dict
    personas: list[str]
    fields: dict[tuple[str, str], Field] = field(default_factory=dict)
    multipart: bool = False
    from_page: bool = False
    scene: bool = False  # its path from the scene's values, not from a page
    seen_by: list[str] = field(default_factory=list)  # who saw it on a page
    path_arg: str | None = None  # a path fuzz case: this argument gets the hostile values

    @property
    def shape(self):
        return (self.endpoint, self.method, self.path_arg or "")

    def add(self, f: Field) -> None:
        known = self.fields.get((f.where, f.name))
        if known is None:
            self.fields[(f.where, f.name)] = f
        elif known.kind == "read":
            f.values = f.values or known.values
            self.fields[(f.where, f.name)] = f


def _typed_value(f: Field, typed: dict[str, str]) -> str | None:
    """What a person would type in a field the page leaves empty."""
    if f.name in typed:
        return typed[f.name]
    kind, name = f.kind, f.name.lower()
    if kind == "email" or "email" in name:
        return "nouveau.contact@ecole.example.com"
    if kind == "tel" or "phone" in name:
        return "081 23 45 67"
    if kind == "date":
        return planning.to_local(_next_working_day_10h()).date().isoformat()
    if kind == "time":
        return "10:00"
    if kind == "number":
        return "1"
    if kind == "password":
        return "Mouette-grise-73?"  # strong, and not the scene's: a current password never matches
    if kind in ("text", "search", "textarea", "url"):
        return "Texte de test"
    return None


def baseline(f: Field, typed: dict[str, str]) -> str | None:
    """What the browser sends for this field when the person does what the page asks."""
    if not f.sent or f.kind == "file":
        return None
    if f.values and f.values[0] != "":
        return f.values[0]
    if f.kind in ("hidden", "link", "read", "select"):
        return f.values[0] if f.values else None
    return _typed_value(f, typed)


# ------------------------------------------------------------------ the harness

# Per test process: the scene's rows and files, and what the walk found. Each test restores them
# into its own database, so that the walk (the slow part) runs once per xdist worker.
_WORLD: dict[str, object] = {}


@dataclass
class World:
    scene: Scene
    snapshot: Snapshot
    cases: dict  # (endpoint, method, path) → Case
    failures: list  # 500s met by the walk itself


class Walk:
    """Reads every page each persona may open and notes the requests its pages can make."""

    def __init__(self, app, scene: Scene, fuzz: Fuzz, report):
        self.app, self.scene, self.fuzz = app, scene, fuzz
        self.adapter = app.url_map.bind("relais.test", url_scheme="http")
        self.cases: dict = {}
        self.report = report

    def run(self) -> dict:
        with recording() as reads:
            for persona in list(self.fuzz.clients):
                self._walk(persona, self.fuzz.clients[persona])
            self._probe()
        # Every rule has a case of its own (its path from the scene) …
        for rule in self.app.url_map.iter_rules():
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                args = {n: self.scene.values[n][0] for n in rule.arguments}
                self._case(rule, method, args).scene = True
        # … and every case gets each name its view asked for.
        for case in self.cases.values():
            for endpoint, method, where, name in reads:
                if (endpoint, method) == (case.endpoint, case.method) and name != "csrf_token":
                    case.add(Field(name, where, "read", [], False))
        return self.cases

    def _walk(self, persona: str, client) -> None:
        queue, seen, followed = self._start_urls(persona), set(), Counter()
        while queue:
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url)
            self._check(response, "GET", url, persona)
            if response.status_code != 200 or "html" not in response.content_type:
                continue
            for target in parse_page(BASE + url, response.get_data(as_text=True)).targets:
                found = self._found(target, persona)
                if found is None or target.method != "GET":
                    continue
                rule, path = found
                if (
                    persona in ALLOWED[rule.endpoint]
                    and rule.endpoint != "static"
                    and path not in seen
                    and followed[rule.endpoint] < FOLLOW
                ):
                    followed[rule.endpoint] += 1
                    queue.append(path)

    def _start_urls(self, persona: str) -> list[str]:
        urls = []
        for rule in self.app.url_map.iter_rules():
            if "GET" not in rule.methods or persona not in ALLOWED[rule.endpoint]:
                continue
            # A page open to all (no sign-in) is read as anonymous and as one signed-in person.
            if ALLOWED[rule.endpoint] == set(PERSONAS) and persona not in (ANON, ASSISTANT):
                continue
            choices = [{}]
            for name in rule.arguments:
                choices = [{**c, name: v} for c in choices for v in self.scene.values[name]]
            urls += [rule.build(c, append_unknown=False)[1] for c in choices]
        return urls

    def _match(self, url: str, method: str):
        """(rule, arguments) for a URL of the app, ids replaced by the scene's: the fuzz never
        acts on rows it did not make for that (say, the account a persona signs in with)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != "relais.test":
            return None
        try:
            rule, args = self.adapter.match(parts.path, method=method, return_rule=True)
        except (HTTPException, RequestRedirect):
            return None
        for name, converter in rule._converters.items():
            if (
                isinstance(converter, IntegerConverter)
                and args[name] not in self.scene.values[name]
            ):
                args[name] = self.scene.values[name][0]
        return rule, args

    def _case(self, rule, method: str, args: dict) -> Case:
        path = rule.build(args, append_unknown=False)[1]
        case = self.cases.get((rule.endpoint, method, path))
        if case is None:
            # A route for no person (Prometheus' token): fuzzed as anonymous, refused without a 500.
            personas = [p for p in PERSONAS if p in ALLOWED[rule.endpoint]] or [ANON]
            case = Case(rule.endpoint, method, path, rule, args, personas)
            self.cases[(rule.endpoint, method, path)] = case
        return case

    def _found(self, target, persona: str):
        matched = self._match(target.url, target.method)
        if matched is None:
            return None
        rule, args = matched
        case = self._case(rule, target.method, args)
        case.from_page = case.from_page or target.method != "GET"
        if persona in case.personas and persona not in case.seen_by:
            case.seen_by.append(persona)
        case.multipart = case.multipart or target.multipart
        for name, value in parse_qsl(urlsplit(target.url).query, keep_blank_values=True):
            case.add(Field(name, "query", "link", [value], True))
        where = "query" if target.method == "GET" else "body"
        for i in target.inputs:
            if i.name != "csrf_token":
                case.add(Field(i.name, where, i.kind, list(i.values), i.sent))
        return rule, case.path

    def _probe(self) -> None:
        """One bare POST per form route (as someone allowed): its view notes what it reads."""
        for rule in self.app.url_map.iter_rules():
            if "POST" not in rule.methods:
                continue
            persona = next(p for p in PERSONAS if p in ALLOWED[rule.endpoint])
            args = {n: self.scene.values[n][0] for n in rule.arguments}
            url = rule.build(args, append_unknown=False)[1]
            body = {"csrf_token": self.fuzz.tokens[persona], "bare": "1"}
            response = self.fuzz.clients[persona].post(url, data=body)
            self._check(response, "POST", url, persona)
            if persona != ANON and "/connexion" in response.headers.get("Location", ""):
                self.fuzz.sign_in(persona)  # signed out: the next probes need the session

    def _check(self, response, method: str, url: str, persona: str) -> None:
        if response.status_code >= 500:
            endpoint = self.adapter.match(urlsplit(url).path, method=method)[0]
            self.report(endpoint, method, persona, "the page as it is (the walk)")


class Fuzz:
    def __init__(self, app, tmp_path: Path, group: str):
        self.app, self.tmp_path, self.group = app, tmp_path, group
        self.figures = Figures()
        self.errors = ErrorLog()
        self.covered: Counter = Counter()
        self.swept: set = set()
        self.rules = [r for r in app.url_map.iter_rules() if group_of(r.endpoint) == group]

    # -------------------------------------------------------------- the world

    def setup(self) -> None:
        world = _WORLD.get("world")
        if world is None:
            scene = build_scene(self.app)
            snapshot = Snapshot(db, self.folders(), self.tmp_path / "snapshot")
            self.scene = scene
            self.sign_in()
            failures: list = []

            def report(*where):
                failures.append((*where, self._logged_error()))
                self.errors.records.clear()

            cases = Walk(self.app, scene, self, report).run()
            world = _WORLD["world"] = World(scene, snapshot, cases, failures)
        self.world, self.scene = world, world.scene
        for endpoint, method, persona, what, error in world.failures:
            if group_of(endpoint) == self.group:
                self._fail(endpoint, method, persona, what, error)
        world.snapshot.restore(self.folders(), everything=True)
        self.sign_in()
        # A page read through other links (another mail, another ticket) is the same page: two
        # paths per read route are enough; each form keeps its own (one per ticket and action).
        mine, reads = [], Counter()
        for case in sorted(world.cases.values(), key=lambda c: not c.scene):
            if group_of(case.endpoint) != self.group:
                continue
            if case.method == "GET":
                reads[case.endpoint] += 1
                if reads[case.endpoint] > 2:
                    continue
            mine.append(case)
        # One more case per path argument: huge ids, NUL in names.
        shapes = set()
        for case in list(mine):
            for name in case.rule.arguments:
                if (case.endpoint, case.method, name) not in shapes:
                    shapes.add((case.endpoint, case.method, name))
                    mine.append(replace(case, path_arg=name, fields={}, scene=False))
        self.cases = sorted(mine, key=lambda c: (c.endpoint, c.method, c.path_arg or "", c.path))

    def folders(self) -> list[Path]:
        """Where the app keeps files the fuzz may change: the dev mailbox, the attachments."""
        return [Path(self.app.config["DEV_MAILBOX_DIR"]), attachment_settings().folder]

    def sign_in(self, *personas: str) -> None:
        """Everyone (a new anonymous client too), or these people again."""
        if not personas:
            self.clients, self.tokens = {ANON: self.app.test_client()}, {}
            personas = tuple(self.scene.people)
        for persona in personas:
            person = SimpleNamespace(email=self.scene.people[persona])
            self.clients[persona] = signed_in(self.app, person)
        for persona, client in self.clients.items():
            if persona in personas or persona not in self.tokens:
                self.tokens[persona] = csrf_token(client)

    # -------------------------------------------------------------- one request

    def request(self, case: Case, persona: str, hostile: dict, **how) -> None:
        """The case's form as its page fills it, but for `hostile`: key → (class, values)."""
        path = how.get("path") or case.path
        post = case.method != "GET"
        multipart = post and (case.multipart or how.get("multipart", False))
        query: list = []
        body: list = []
        notes = [how["note"]] if how.get("note") else []
        for key, f in sorted(case.fields.items()):
            target = body if post and f.where == "body" else query
            if key in hostile:
                klass, values = hostile[key]
                target += [(f.name, v) for v in values]
                multipart = multipart or any(isinstance(v, FileStorage) for v in values)
                notes.append(f"{f.name}={klass}")
            elif not how.get("bare"):
                value = baseline(f, self.scene.typed)
                if value is not None:
                    target.append((f.name, value))
        if how.get("unknown") is not None:
            klass, value = how["unknown"]
            query.append(("inconnu", value))
            notes.append(f"unknown parameter={klass}")
        headers = {}
        if how.get("htmx"):
            headers = {"HX-Request": "true", "HX-Current-URL": BASE + case.path}
            if how["htmx"] == "boosted":
                headers["HX-Boosted"] = "true"
        kwargs = {"headers": headers, "query_string": encode_query(query)}
        if post:
            body.insert(0, ("csrf_token", self.tokens[persona]))
            if multipart:
                kwargs["data"] = multipart_body(body)
                kwargs["content_type"] = "multipart/form-data"
            else:
                kwargs["data"] = encode_query(body)
                kwargs["content_type"] = "application/x-www-form-urlencoded"
        self._send(case, persona, path, kwargs, notes)

    def _path(self, case: Case, value: str) -> str:
        """The case's path with `value` as its argument `case.path_arg`."""
        converter = case.rule._converters[case.path_arg]
        if isinstance(converter, IntegerConverter):
            marker = "7654321"
        else:  # any(…) only builds with one of its words: that word is the marker
            marker = str(case.args[case.path_arg]) if isinstance(converter, AnyConverter) else "zqz"
        path = case.rule.build({**case.args, case.path_arg: marker}, append_unknown=False)[1]
        segment = encode_segment(value, path=isinstance(converter, PathConverter)) or "%20"
        return path.replace(marker, segment, 1)

    # -------------------------------------------------------------- the sweep

    def sweep(self, case: Case) -> None:
        """Each field (once per route) gets one value of each class, alone; each path argument
        its huge numbers or NUL."""
        persona = (case.seen_by or case.personas)[0]
        post = case.method != "GET"
        if case.path_arg:
            converter = case.rule._converters[case.path_arg]
            if isinstance(converter, IntegerConverter):
                values = [("huge or odd integer", v) for v in PATH_SWEEP_INTS]
            else:
                values = PATH_SWEEP_TEXT
            for klass, value in values:
                note = f"path {case.path_arg}={klass}"
                self.request(case, persona, {}, path=self._path(case, value), note=note)
            return
        for key, f in sorted(case.fields.items()):
            if (case.endpoint, case.method, f.name) in self.swept:
                continue
            self.swept.add((case.endpoint, case.method, f.name))
            if f.kind == "file" and post:
                for klass, files in FILES.items():
                    self.request(case, persona, {key: (klass, files())})
                continue
            for klass, value in SWEEP:
                self.request(case, persona, {key: (klass, [value])})
            if post and f.where == "body":
                part = FileStorage(io.BytesIO("²".encode()), filename="champ.txt")
                self.request(case, persona, {key: ("a file part", [part])})

    # -------------------------------------------------------------- hypothesis

    def _draw_text(self, data, f: Field | None, allow_bytes: bool):
        klass = data.draw(st.sampled_from(sorted(TEXT)))
        value = data.draw(TEXT[klass])
        if allow_bytes and data.draw(st.integers(0, 19)) == 19:
            return "invalid UTF-8", data.draw(RAW_BYTES)
        if f is not None and data.draw(st.integers(0, 3)) == 3:
            return f"{klass} (in text)", (baseline(f, self.scene.typed) or "") + value
        return klass, value

    def example(self, case: Case, data) -> None:
        # Mostly someone who saw the form (it is theirs to send), sometimes anyone allowed.
        seen = case.seen_by and data.draw(st.integers(0, 3)) > 0
        persona = data.draw(st.sampled_from(case.seen_by if seen else case.personas))
        post = case.method != "GET"
        how = {
            "htmx": data.draw(st.sampled_from(["", "", "htmx", "boosted"])),
            "multipart": post and data.draw(st.integers(0, 4)) == 4,
        }
        if case.path_arg:
            if isinstance(case.rule._converters[case.path_arg], IntegerConverter):
                klass, value = "huge or odd integer", data.draw(PATH_INTS)
            else:
                klass, value = self._draw_text(data, None, allow_bytes=False)
            how.update(path=self._path(case, value), note=f"path {case.path_arg}={klass}")
            self.request(case, persona, {}, **how)
            return
        keys = sorted(case.fields)
        mode = data.draw(st.sampled_from(["one", "one", "several", "all", "only hostile"]))
        if not keys:
            chosen = []
        elif mode == "one":
            chosen = [data.draw(st.sampled_from(keys))]
        elif mode in ("several", "only hostile"):
            chosen = sorted(data.draw(st.sets(st.sampled_from(keys), max_size=4)))
        else:
            chosen = keys
        hostile = {}
        for key in chosen:
            f = case.fields[key]
            if f.kind == "file" and post:
                klass = data.draw(st.sampled_from(sorted(FILES)))
                hostile[key] = (klass, FILES[klass](data.draw(FILE_NAMES)))
                continue
            klass, value = self._draw_text(data, f, allow_bytes=not how["multipart"])
            values = [value]
            if post and f.where == "body" and data.draw(st.integers(0, 3)) == 3:
                content = value if isinstance(value, bytes) else value.encode()
                values = [FileStorage(io.BytesIO(content), filename=data.draw(FILE_NAMES))]
                klass += " as a file part"
            if data.draw(st.integers(0, 9)) == 9:
                values.insert(0, baseline(f, self.scene.typed) or "")
                klass += " (twice)"
            hostile[key] = (klass, values)
        if data.draw(st.integers(0, 9)) == 9:
            how["unknown"] = self._draw_text(data, None, allow_bytes=True)
        self.request(case, persona, hostile, bare=mode == "only hostile", **how)

    def _send(self, case: Case, persona: str, path: str, kwargs: dict, notes) -> None:
        self.errors.records.clear()
        error = None
        try:
            response = self.clients[persona].open(path, method=case.method, **kwargs)
            status = response.status_code
            location = response.headers.get("Location", "")
            response.close()
        except Exception as exc:  # escaped the app's handlers: a server would answer 500
            status, location = 500, ""
            error = describe(exc)
        self.figures.statuses[status] += 1
        self.covered[(case.endpoint, case.method)] += 1
        if status >= 500:
            what = ", ".join(notes) or "no hostile value"
            self._fail(case.endpoint, case.method, persona, what, error or self._logged_error())
        if case.method != "GET" and status < 400:
            # A form was taken: the next request finds the world its pages showed (not a ticket
            # this one closed, nor a session generation this sign-out moved on).
            self.world.snapshot.restore(self.folders())
        if persona != ANON and status in (302, 303) and "/connexion" in location:
            self.sign_in(persona)  # the fuzz signed this persona out (« Se déconnecter »)

    def _logged_error(self) -> str | None:
        for record in self.errors.records:
            return describe(record.exc_info[1])
        return None

    def _fail(self, endpoint, method, persona, what, error) -> None:
        error = error or "an answer ≥ 500 without an exception logged"
        # One failure per place the app raised from; what reached it is listed under it.
        key = (endpoint, method, error.partition(":")[0], error.rpartition(" at ")[2])
        failure = self.figures.failures.setdefault(key, Failure(endpoint, method, error))
        failure.add(persona, what)

    # -------------------------------------------------------------- the run

    def run(self) -> None:
        # The recording request must parse as the app's own does, or the fuzz would bypass it.
        assert issubclass(RecordingRequest, self.app.request_class), self.app.request_class
        self.app.request_class = RecordingRequest
        with self.errors.capture():
            self.setup()
            share = -(-EXAMPLES[self.group] // len(self.cases))
            with self.world.snapshot.watching(db.engine):
                for case in self.cases:
                    self.sweep(case)
                    self.fuzz_case(case, max(share // 2, 3) if case.path_arg else share)

    def fuzz_case(self, case: Case, examples: int) -> None:
        @seed(zlib.crc32(repr((case.endpoint, case.method, case.path_arg)).encode()))
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(st.data())
        def fuzz(data):
            self.example(case, data)

        fuzz()


# ------------------------------------------------------------------ the tests


def test_every_route_is_in_a_fuzz_group(app):
    loose = sorted({r.endpoint for r in app.url_map.iter_rules() if group_of(r.endpoint) is None})
    assert loose == [], "give these routes' blueprint a group in GROUP_OF_BLUEPRINT"
    assert set(GROUP_OF_BLUEPRINT.values()) | set(OWN_GROUP.values()) == set(GROUPS)


@pytest.mark.parametrize("group", GROUPS)
def test_no_answer_is_a_server_error(make_app, tmp_path, record_property, group):
    app = make_app(
        PROPAGATE_EXCEPTIONS=False,  # the app's own 500 page, as in production
        RELAIS_MAIL_ANSWER_RATE_LIMIT="100000 per minute",
    )
    started, cpu = monotonic(), process_time()
    with app.app_context():
        fuzz = Fuzz(app, tmp_path, group)
        fuzz.run()
    took = (monotonic() - started, process_time() - cpu)
    record_property("fuzz", fuzz.figures.as_json(group, *took))
    problems = sorted(str(f) for f in fuzz.figures.failures.values())
    forms = {(c.method, c.endpoint) for c in fuzz.world.cases.values() if c.method != "GET"}
    posted = {(c.method, c.endpoint) for c in fuzz.world.cases.values() if c.from_page}
    problems += sorted(
        f"no page of the scene posts to {e} ({m}): give the scene what shows that form"
        for m, e in forms - posted
        if group_of(e) == group
    )
    problems += sorted(
        f"{m} {r.endpoint} was never fuzzed"
        for r in fuzz.rules
        for m in r.methods - {"HEAD", "OPTIONS"}
        if not fuzz.covered[(r.endpoint, m)]
    )
    assert problems == [], "\n".join(["", *problems])
