"""Demo tickets: about a hundred, in every state, for every demo company, with their history.

Each ticket is opened by a demo assistant and lives its story through the real ticket service
(`create_ticket`, `apply_action`, `add_comment`, with `now=` set in the past), so the activity,
interventions, participants and outbox rows are exactly what the application would have made.
Tickets are created in the order of their dates, so that references grow with time.

Stories are drawn by a `random.Random` with a fixed seed over the seeded equipment, relative to
the moment the seed runs: what is "planned for next Tuesday" stays in the future on the day the
demo is set up. Only run when the database has no ticket at all (the seed stays idempotent).
Every service call commits: this runs after the rest of the demo data is in place.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import event, func, select

from app.core.typography import french
from app.demo.accounts import DEMO_ACCOUNTS
from app.extensions import db
from app.models import (
    Equipment,
    Establishment,
    PortalCategory,
    RequestType,
    Role,
    Site,
    Supplier,
    Ticket,
    User,
)
from app.models.types import utcnow
from app.tickets import planning
from app.tickets.phones import normalise
from app.tickets.service import (
    ActionInput,
    NewTicket,
    add_comment,
    apply_action,
    auto_close,
    create_ticket,
)
from app.tickets.workflow import Action

SEED = 20250402
CLAIRE = "claire.dumont@ecole-borlon.example.com"

# What goes wrong with each lot's devices: (summary, the assistant's diagnosis, what was done).
PROBLEMS = {
    "Lot 01": [
        (
            "Ordinateur portable ne démarre plus",
            "Aucune réaction au bouton d'alimentation, même sur secteur avec un autre chargeur. "
            "Le voyant de charge reste éteint : carte mère ou connecteur d'alimentation.",
            "Remplacement du connecteur d'alimentation. Démarrage et charge vérifiés avec "
            "l'enseignant·e.",
        ),
        (
            "Clavier : plusieurs touches inopérantes",
            "Les touches E, R et T ne répondent plus, aussi dans le BIOS : défaut matériel du "
            "clavier (pas de liquide renversé selon l'école).",
            "Clavier remplacé, toutes les touches testées.",
        ),
        (
            "Batterie ne tient plus la charge",
            "La batterie passe de 100 % à 0 % en moins de 20 minutes ; rapport de batterie : "
            "capacité à 31 % de l'origine, sous garantie.",
            "Batterie remplacée, autonomie contrôlée (plus de 6 heures annoncées).",
        ),
        (
            "Écran du portable fissuré",
            "Fissure dans le coin inférieur gauche, l'image reste lisible. Chute signalée par "
            "l'école : à confirmer par le fournisseur (casse couverte ou non).",
            "Dalle remplacée ; la casse est couverte par le contrat de l'école.",
        ),
        (
            "Pas de connexion Wi-Fi",
            "La carte Wi-Fi n'apparaît plus dans le gestionnaire de périphériques, même après "
            "réinstallation des pilotes ; les autres portables de la classe se connectent.",
            "Carte Wi-Fi réinstallée (antenne déconnectée), connexion au réseau de l'école testée.",
        ),
    ],
    "Lot 02": [
        (
            "Écran interactif ne s'allume plus",
            "Le voyant de veille est éteint, disjoncteur de la classe vérifié, autre prise "
            "essayée : alimentation de l'écran probablement hors service.",
            "Bloc d'alimentation de l'écran remplacé, mise à jour du micrologiciel faite.",
        ),
        (
            "Tactile de l'écran interactif décalé",
            "Le point de contact est décalé de 3 à 4 cm vers la droite ; la calibration depuis "
            "le menu n'y change rien.",
            "Cadre tactile recalibré en usine (outil du fabricant), test avec les élèves.",
        ),
        (
            "Pas de son sur l'écran interactif",
            "Aucun son par les haut-parleurs intégrés, ni depuis l'ordinateur ni depuis le "
            "lecteur intégré ; casque sur la sortie audio : son présent.",
            "Carte son de l'écran remplacée.",
        ),
        (
            "Lignes verticales sur l'écran interactif",
            "Trois lignes verticales colorées sur toute la hauteur, visibles aussi sur le menu "
            "de l'écran : défaut de dalle.",
            "Dalle remplacée sous garantie (intervention à deux techniciens).",
        ),
    ],
    "Lot 03": [
        (
            "Tablette bloquée sur le logo",
            "La tablette redémarre en boucle sur le logo du fabricant ; le redémarrage forcé et "
            "le mode de récupération n'aboutissent pas.",
            "Système réinstallé, tablette réinscrite dans la gestion de flotte de l'école.",
        ),
        (
            "Vitre de la tablette fêlée",
            "Vitre fêlée sur toute la largeur, le tactile répond encore. L'école demande si la "
            "casse est couverte.",
            "Vitre et dalle remplacées.",
        ),
        (
            "Tablette ne charge plus",
            "Aucune charge avec trois câbles et deux chargeurs testés ; le connecteur USB-C "
            "semble oxydé.",
            "Connecteur de charge remplacé, charge complète vérifiée.",
        ),
    ],
    "Lot 04": [
        (
            "Vidéoprojecteur : image très sombre",
            "Image très sombre même en mode lumineux ; le compteur de la lampe indique 4 800 "
            "heures.",
            "Lampe remplacée, filtre nettoyé, compteur remis à zéro.",
        ),
        (
            "Vidéoprojecteur s'éteint après dix minutes",
            "Le projecteur s'éteint seul après une dizaine de minutes, voyant température "
            "allumé ; le filtre a été nettoyé par l'école.",
            "Ventilateur remplacé, test de fonctionnement d'une heure.",
        ),
    ],
    "Lot 05": [
        (
            "Visualiseur non reconnu par l'ordinateur",
            "Le visualiseur n'est reconnu ni par l'ordinateur de la classe ni par un portable "
            "Lot 01 ; câble USB remplacé sans effet.",
            "Carte principale du visualiseur remplacée, reconnu par les deux ordinateurs.",
        ),
        (
            "Bras du visualiseur cassé",
            "L'articulation du bras ne tient plus la caméra en position ; pas de chute "
            "signalée, usure probable.",
            "Bras articulé remplacé.",
        ),
    ],
}

CONTACTS = (
    "Sophie Lambotte",
    "Marc Henrard",
    "Nadia Ouali",
    "Julien Pirard",
    "Catherine Wilmet",
    "Benoît Gérard",
    "Fatima Benhaddou",
    "Olivier Detry",
    "Isabelle Massart",
    "Kevin Lejeune",
    "Anne-Sophie Collignon",
    "Thierry Dewez",
)

REOPEN_REASONS = (
    "Le problème est revenu deux jours après l'intervention.",
    "Même panne ce matin : l'appareil s'éteint toujours au bout de quelques minutes.",
    "L'intervention n'a pas réglé le problème, l'appareil ne démarre toujours pas.",
)
SEND_BACK_REASONS = (
    "Ce matériel n'est pas dans nos lots : l'étiquette indique un autre fournisseur.",
    "Le diagnostic ne correspond pas : sur place, le problème vient du réseau de l'école, "
    "pas du matériel.",
)
CANCEL_REASONS = (
    "L'école a résolu le problème elle-même : le câble d'alimentation était débranché.",
    "Doublon d'une demande déjà ouverte pour ce matériel.",
    "Matériel volé : la demande passe par la déclaration de sinistre de l'école.",
)
TEACHER_COMMENTS = (
    "Merci ! Je suis en classe tous les matins, le local est accessible à partir de 8 h 15.",
    "Pouvez-vous prévenir le secrétariat la veille de la visite ?",
    "Le problème se produit surtout quand l'appareil chauffe, en fin de matinée.",
)
SUPPLIER_COMMENTS = (
    "Pièce commandée chez le fabricant, livraison annoncée sous trois jours ouvrables.",
    "Nous passerons avec un appareil de remplacement au cas où la réparation sur place échoue.",
    "Le technicien a besoin du code du local : merci de le communiquer par téléphone.",
)
INTERNAL_COMMENTS = (
    "Appel à l'école : la direction confirme l'accès au local le mercredi après-midi.",
    "Vérifié dans l'inventaire : l'appareil est bien sous garantie jusqu'à l'été prochain.",
    "Deuxième demande pour cette école ce mois-ci : à signaler au conseiller.",
)
INFO_QUESTIONS = (
    (
        "Question sur la garantie des tablettes",
        "L'école demande jusqu'à quand les tablettes du Lot 03 sont garanties et ce que couvre "
        "la garantie en cas de chute.",
    ),
    (
        "Ajout de matériel à l'inventaire",
        "L'école a reçu deux visualiseurs supplémentaires et demande comment ils seront ajoutés "
        "à l'inventaire Ecole Numérique.",
    ),
    (
        "Formation à l'écran interactif",
        "Une nouvelle enseignante demande s'il existe une formation à l'utilisation de l'écran "
        "interactif.",
    ),
)


def _typeset(value):
    """The demo's French texts written as a careful author would: no line break before « : ; ? ! »
    (app.core.typography; what real people type is stored as they typed it)."""
    if isinstance(value, str):
        return french(value)
    if isinstance(value, dict):
        return {key: _typeset(item) for key, item in value.items()}
    return type(value)(_typeset(item) for item in value)


PROBLEMS = _typeset(PROBLEMS)
REOPEN_REASONS, SEND_BACK_REASONS, CANCEL_REASONS = map(
    _typeset, (REOPEN_REASONS, SEND_BACK_REASONS, CANCEL_REASONS)
)
TEACHER_COMMENTS, SUPPLIER_COMMENTS, INTERNAL_COMMENTS, INFO_QUESTIONS = map(
    _typeset, (TEACHER_COMMENTS, SUPPLIER_COMMENTS, INTERNAL_COMMENTS, INFO_QUESTIONS)
)

# The stories and how many of each; every company gets its share of each kind.
STORIES = (
    ("new", 18),
    ("planned", 16),
    ("rescheduled", 4),
    ("done", 11),
    ("on_spot", 3),
    ("closed", 24),
    ("auto_closed", 4),
    ("reopened", 4),
    ("reopened_closed", 3),
    ("sent_back", 4),
    ("sent_back_reassigned", 3),
    ("cancelled", 5),
)
# How long ago (days) a story starts: old enough for its steps, recent where it is still open.
AGE = {
    "new": (0.2, 9),
    "planned": (1, 9),
    "rescheduled": (3, 10),
    "done": (8, 13),
    "on_spot": (2, 10),
    "closed": (22, 80),
    "auto_closed": (30, 80),
    "reopened": (14, 24),
    "reopened_closed": (35, 75),
    "sent_back": (3, 15),
    "sent_back_reassigned": (5, 20),
    "cancelled": (4, 60),
    "info": (1, 30),
}
VISIT_HOURS = (time(8, 30), time(9, 0), time(10, 30), time(13, 30), time(14, 0), time(15, 15))


@dataclass(frozen=True)
class _Item:
    """A seeded equipment item, as plain values (the session is cleared between tickets)."""

    id: int
    lot: str
    site_id: int
    fi: int
    supplier_id: int


@dataclass(frozen=True)
class _Person:
    id: int
    full_name: str
    email: str
    phone: str
    site_id: int | None


@dataclass
class _Cast:
    assistants: list[int]
    coordinator: int
    staff_by_supplier: dict[int, list[int]]  # the users of each company, manager first
    teachers_by_site: dict[int, _Person]
    claire: _Person


@dataclass
class _Plan:
    story: str
    created_at: datetime
    item: _Item | None
    supplier_id: int | None
    wrong_supplier_id: int | None = None
    contact: _Person | None = None
    comments: bool = False
    question: int = 0  # for an information request: which of INFO_QUESTIONS


def tickets_exist() -> bool:
    return bool(db.session.scalar(select(func.count(Ticket.id))))


def seed_tickets(*, now: datetime | None = None) -> int:
    """Create the demo tickets (if there is none); returns how many were created."""
    if tickets_exist():
        return 0
    now = (now or utcnow()).replace(second=0, microsecond=0)
    rng = random.Random(SEED)
    cast = _cast()
    types = {
        key: db.session.scalar(
            select(RequestType.id)
            .join(RequestType.category)
            .where(PortalCategory.key == key)
            .order_by(RequestType.id)
        )
        for key in ("TECH", "INFO")
    }
    plans = _plans(rng, cast, now)
    plans.sort(key=lambda p: p.created_at)
    # Each service call commits, and a commit expires every object the session holds: with the
    # school directory loaded, that is thousands per commit. Start empty, and stay small.
    db.session.commit()
    db.session.expunge_all()
    story = _Story(rng, cast, now)
    with _commits_without_waiting_for_the_disk():
        for plan in plans:
            if plan.story == "info":
                story.info(plan, types["INFO"])
            else:
                story.run(plan, types["TECH"])
            db.session.expunge_all()
    return len(plans)


# Per connection: commit without waiting for the disk to confirm the write.
_QUICK_COMMITS = {
    "sqlite": "PRAGMA synchronous = OFF",
    "postgresql": "SET synchronous_commit = off",
}


@contextmanager
def _commits_without_waiting_for_the_disk() -> Iterator[None]:
    """The demo history is a few thousand small commits (every change of the service, every mail
    sent); waiting for the disk at each is most of the seed's time. A seed cut short by a
    crash is simply run again, so durability buys nothing here; what is written is the same.
    The engine's connections are closed afterwards: the next ones have the usual settings."""
    engine = db.engine
    statement = _QUICK_COMMITS.get(engine.dialect.name)
    if statement is None:
        yield
        return

    def quick(dbapi_connection, _record, _proxy) -> None:
        # Outside a transaction (psycopg would start one, and a rollback would undo the SET).
        autocommit = getattr(dbapi_connection, "autocommit", None)
        if autocommit is False:
            dbapi_connection.autocommit = True
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        if autocommit is False:
            dbapi_connection.autocommit = False

    db.session.commit()  # the connection goes back to the pool, and comes out with the setting
    event.listen(engine, "checkout", quick)
    try:
        yield
    finally:
        event.remove(engine, "checkout", quick)
        db.session.commit()
        engine.dispose()


def _cast() -> _Cast:
    users = {u.email: u for u in db.session.scalars(select(User))}
    demo = [users[a.email] for a in DEMO_ACCOUNTS if a.email in users]
    staff: dict[int, list[User]] = {}
    for user in demo:
        if user.role == Role.SUPPLIER:
            staff.setdefault(user.supplier_id, []).append(user)
    for supplier_id, members in staff.items():
        reference = db.session.get(Supplier, supplier_id).reference_email
        members.sort(key=lambda u: u.email != reference)

    def person(user: User) -> _Person:
        return _Person(user.id, user.full_name, user.email, user.phone, user.site_id)

    return _Cast(
        assistants=[u.id for u in demo if u.role == Role.ASSISTANT],
        coordinator=next(u.id for u in demo if u.role == Role.COORDINATOR),
        staff_by_supplier={sid: [u.id for u in members] for sid, members in staff.items()},
        teachers_by_site={u.site_id: person(u) for u in demo if u.role == Role.TEACHER},
        claire=person(users[CLAIRE]),
    )


def _plans(rng: random.Random, cast: _Cast, now: datetime) -> list[_Plan]:
    rows = db.session.execute(
        select(Equipment.id, Equipment.lot, Equipment.site_id, Site.fi, Equipment.supplier_id)
        .join(Equipment.site)
        .join(Site.establishment)
        .where(Equipment.supplier_id.is_not(None))
        .order_by(Establishment.fase, Site.fi, Equipment.label)
    )
    equipment = [_Item(*row) for row in rows]
    suppliers = sorted({e.supplier_id for e in equipment})
    at_teachers = [e for e in equipment if e.site_id in cast.teachers_by_site]
    elsewhere = [e for e in equipment if e.site_id not in cast.teachers_by_site]
    used: set[int] = set()

    def pick(pool: list[_Item], supplier_id: int | None = None, site_id=None) -> _Item:
        candidates = [
            e
            for e in pool
            if e.id not in used
            and (supplier_id is None or e.supplier_id == supplier_id)
            and (site_id is None or e.site_id == site_id)
        ]
        choice = rng.choice(candidates)
        used.add(choice.id)
        return choice

    def when(story: str) -> datetime:
        low, high = AGE[story]
        return _business_time(now - timedelta(days=rng.uniform(low, high)), now, rng)

    plans: list[_Plan] = []
    # Claire Dumont (the Borlon school of docs/domain.md): a finished visit awaiting her approval,
    # and one ticket in each other stage.
    borlon = cast.claire.site_id
    for story in ("done", "new", "planned", "closed", "reopened"):
        item = pick(at_teachers, site_id=borlon)
        plans.append(_Plan(story, when(story), item, item.supplier_id, contact=cast.claire))
    # The other demo teachers: a few each, in varied stages.
    others = [t for site_id, t in sorted(cast.teachers_by_site.items()) if site_id != borlon]
    for index, teacher in enumerate(others):
        for story in (("done", "closed", "planned"), ("new", "closed", "cancelled"))[index % 2]:
            item = pick(at_teachers, site_id=teacher.site_id)
            plans.append(_Plan(story, when(story), item, item.supplier_id, contact=teacher))
    counted = {story: sum(1 for p in plans if p.story == story) for story, _n in STORIES}
    # The rest at other schools, each kind spread over every company in turn.
    for story, total in STORIES:
        for n in range(max(0, total - counted[story])):
            supplier_id = suppliers[n % len(suppliers)]
            item = pick(elsewhere, supplier_id)
            plan = _Plan(story, when(story), item, supplier_id, comments=rng.random() < 0.3)
            if story == "sent_back_reassigned":
                # Opened for the wrong company, which sends it back; the coordinator fixes it.
                plan.wrong_supplier_id = suppliers[(n + 1) % len(suppliers)]
            plans.append(plan)
    teachers = [t for _site, t in sorted(cast.teachers_by_site.items())]
    for n in range(len(INFO_QUESTIONS)):
        contact = teachers[(n + 1) % len(teachers)]
        plans.append(_Plan("info", when("info"), None, None, contact=contact, question=n))
    return plans


def _business_time(instant: datetime, now: datetime, rng: random.Random) -> datetime:
    """A time during Brussels office hours on the day of `instant` (a working day before it on a
    weekend), and in the past."""
    day = planning.to_local(instant).date()
    while True:
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        moment = planning.to_utc(day, time(rng.randint(8, 15), rng.choice((0, 10, 20, 35, 45))))
        if moment < now - timedelta(hours=1):
            return moment
        day -= timedelta(days=1)


def _office_hours(instant: datetime, rng: random.Random) -> datetime:
    """`instant`, or the next opening of the office (Monday to Friday, 8:00 to 17:30)."""
    local = planning.to_local(instant)
    day, clock = local.date(), local.time()
    if day.weekday() < 5 and time(8, 0) <= clock <= time(17, 30):
        return instant
    if clock > time(17, 30):
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return planning.to_utc(day, time(8, rng.randint(0, 59)))


def _next_working_day(instant: datetime, days: int, at: time) -> datetime:
    day: date = planning.to_local(instant).date()
    while days > 0 or day.weekday() >= 5:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return planning.to_utc(day, at)


class _Story:
    """Plays one ticket's story through the service, step by step, at past instants."""

    def __init__(self, rng: random.Random, cast: _Cast, now: datetime):
        self.rng, self.cast, self.now = rng, cast, now
        self.contacts = iter(CONTACTS * 20)

    # ---------------------------------------------------------------- helpers

    @staticmethod
    def _user(user_id: int) -> User:
        return db.session.get(User, user_id)

    def _assistant(self) -> User:
        return self._user(self.rng.choice(self.cast.assistants))

    def _later(self, after: datetime, hours: tuple[float, float]) -> datetime:
        """A moment after `after`, in office hours, never later than a few minutes before now."""
        moment = _office_hours(after + timedelta(hours=self.rng.uniform(*hours)), self.rng)
        return min(moment, self.now - timedelta(minutes=self.rng.randint(5, 60)))

    def _visit(self, after: datetime, days: tuple[int, int]) -> datetime:
        return _next_working_day(after, self.rng.randint(*days), self.rng.choice(VISIT_HOURS))

    @staticmethod
    def _act(actor: User, ticket_id: int, action: Action, at: datetime, **values) -> Ticket:
        return apply_action(actor, ticket_id, action, ActionInput(**values), now=at).ticket

    def _supplier_user(self, supplier_id: int) -> User:
        """Who acts for the company: its first user, or its second one now and then."""
        staff = self.cast.staff_by_supplier[supplier_id]
        return self._user(staff[-1] if len(staff) > 1 and self.rng.random() < 0.5 else staff[0])

    def _doer(self, ticket: Ticket) -> User:
        return ticket.technician or self._supplier_user(ticket.supplier_id)

    # ---------------------------------------------------------------- steps

    def _open(self, plan: _Plan, request_type_id: int) -> Ticket:
        item = plan.item
        summary, diagnosis, _done = self.rng.choice(PROBLEMS[item.lot])
        teacher = plan.contact
        if teacher is not None:
            name, email, phone = teacher.full_name, teacher.email, teacher.phone
        else:
            name = next(self.contacts)
            slug = _ascii(name.lower()).replace(" ", ".").replace("-", "")
            email = f"{slug}@ecole-fi{item.fi}.example.com"
            phone = f"0123/45{self.rng.randint(6800, 6999)}"
        return create_ticket(
            self._assistant(),
            NewTicket(
                request_type_id=request_type_id,
                summary=summary,
                description=diagnosis,
                site_id=item.site_id,
                contact_name=name,
                contact_phone=normalise(phone) if phone else "",
                contact_email=email,
                equipment_id=item.id,
                supplier_id=plan.wrong_supplier_id or plan.supplier_id,
            ),
            now=plan.created_at,
        )

    def _plan_visit(
        self, ticket: Ticket, after: datetime, *, future: bool
    ) -> tuple[datetime, datetime]:
        """The supplier plans the visit (after giving it to its technician, sometimes): returns
        when it was planned and the visit's date, in the future or already past."""
        staff = self.cast.staff_by_supplier[ticket.supplier_id]
        actor = self._supplier_user(ticket.supplier_id)
        at = self._later(after, (2, 30))
        if self.rng.random() < 0.35 and len(staff) > 1:
            # The company gives it to its technician first.
            manager, technician = self._user(staff[0]), staff[1]
            given = max(after + timedelta(minutes=1), at - timedelta(minutes=20))
            self._act(manager, ticket.id, Action.ASSIGN_TECHNICIAN, given, technician_id=technician)
            actor = self._user(technician)
        if future:
            visit = self._visit(self.now, (1, 6))
        else:
            visit = self._visit(at, (1, 3))
            if visit > self.now - timedelta(hours=4):
                # No time left: the technician went the same day.
                visit = max(at, min(at + timedelta(hours=2), self.now - timedelta(hours=2)))
        self._act(actor, ticket.id, Action.PLAN, at, planned_at=visit)
        return at, visit

    def _finish(self, ticket: Ticket, visit: datetime) -> datetime:
        at = min(visit + timedelta(hours=self.rng.uniform(0.5, 3)), self.now - timedelta(hours=1))
        _summary, _diagnosis, done = _problem_of(ticket)
        summary = f"Bonjour,\nL’intervention est terminée. {done}"
        self._act(self._doer(ticket), ticket.id, Action.FINISH, at, summary=summary)
        return at

    def _approver(self, ticket: Ticket) -> User:
        return ticket.contact_user or self._assistant()

    def _comments(self, ticket: Ticket) -> None:
        """Two comments in the first hours, before anything else happens to the ticket."""
        start = ticket.created_at
        moments = sorted(start + timedelta(minutes=self.rng.uniform(20, 100)) for _ in range(2))
        moments = [min(m, self.now - timedelta(minutes=2)) for m in moments]
        if ticket.contact_user is not None:
            author, text = ticket.contact_user, self.rng.choice(TEACHER_COMMENTS)
        elif ticket.supplier_id:
            author, text = self._doer(ticket), self.rng.choice(SUPPLIER_COMMENTS)
        else:
            author, text = self._assistant(), self.rng.choice(INTERNAL_COMMENTS)
        add_comment(author, ticket.id, text, now=moments[0])
        internal = self.rng.choice(INTERNAL_COMMENTS)
        add_comment(self._assistant(), ticket.id, internal, internal=True, now=moments[1])

    # ---------------------------------------------------------------- stories

    def run(self, plan: _Plan, request_type_id: int) -> None:
        ticket = self._open(plan, request_type_id)
        created = last = plan.created_at
        story = plan.story
        if plan.comments or (plan.contact is not None and story in ("planned", "done")):
            self._comments(ticket)
        if story in ("planned", "rescheduled"):
            last, visit = self._plan_visit(ticket, created, future=True)
            if story == "rescheduled":
                moved = _next_working_day(visit, self.rng.randint(1, 4), time(9, 0))
                last = self._later(last, (4, 20))
                self._act(self._doer(ticket), ticket.id, Action.RESCHEDULE, last, planned_at=moved)
        elif story == "on_spot":
            visited = self._later(created, (20, 50))
            _s, _d, done = _problem_of(ticket)
            last = self._later(visited, (1, 3))
            self._act(
                self._doer(ticket),
                ticket.id,
                Action.FINISH_ON_SPOT,
                last,
                visited_at=visited,
                summary=done,
            )
        elif story in ("done", "closed", "auto_closed", "reopened", "reopened_closed"):
            _at, visit = self._plan_visit(ticket, created, future=False)
            last = self._finish(ticket, visit)
            if story == "closed":
                last = self._later(last, (4, 96))
                self._act(self._approver(ticket), ticket.id, Action.APPROVE, last)
            elif story == "auto_closed":
                last = min(last + timedelta(days=15, minutes=5), self.now - timedelta(hours=1))
                auto_close(ticket.id, now=last)
            elif story in ("reopened", "reopened_closed"):
                last = self._later(last, (20, 60))
                reason = self.rng.choice(REOPEN_REASONS)
                self._act(self._approver(ticket), ticket.id, Action.REOPEN, last, reason=reason)
                if story == "reopened_closed":
                    _at, visit = self._plan_visit(ticket, last, future=False)
                    last = self._later(self._finish(ticket, visit), (4, 72))
                    self._act(self._approver(ticket), ticket.id, Action.APPROVE, last)
        elif story in ("sent_back", "sent_back_reassigned"):
            last = self._later(created, (2, 26))
            wrong = plan.wrong_supplier_id is not None
            reason = SEND_BACK_REASONS[0 if wrong else self.rng.randint(0, 1)]
            self._act(self._doer(ticket), ticket.id, Action.SEND_BACK, last, reason=reason)
            if wrong:
                last = self._later(last, (1, 20))
                self._act(
                    self._user(self.cast.coordinator),
                    ticket.id,
                    Action.REASSIGN_SUPPLIER,
                    last,
                    supplier_id=plan.supplier_id,
                    reason="Attribuée au fournisseur qui assure la maintenance de ce lot.",
                )
                if self.rng.random() < 0.6:
                    last, _visit = self._plan_visit(ticket, last, future=True)
        elif story == "cancelled":
            if self.rng.random() < 0.4:
                last, _visit = self._plan_visit(ticket, created, future=False)
            last = self._later(last, (4, 60))
            reason = self.rng.choice(CANCEL_REASONS)
            self._act(self._assistant(), ticket.id, Action.CANCEL, last, reason=reason)

    def info(self, plan: _Plan, request_type_id: int) -> None:
        """A question for the information centre: no supplier, no equipment; one answered."""
        summary, description = INFO_QUESTIONS[plan.question]
        teacher = plan.contact
        creator = self._assistant()
        ticket = create_ticket(
            creator,
            NewTicket(
                request_type_id=request_type_id,
                summary=summary,
                description=description,
                site_id=teacher.site_id,
                contact_name=teacher.full_name,
                contact_phone=normalise(teacher.phone) if teacher.phone else "",
                contact_email=teacher.email,
            ),
            now=plan.created_at,
        )
        if plan.question == 0:
            add_comment(
                creator,
                ticket.id,
                french(
                    "Les tablettes du Lot 03 sont garanties quatre ans à partir de la livraison ; "
                    "la casse accidentelle n'est pas couverte."
                ),
                now=self._later(plan.created_at, (2, 30)),
            )


def _problem_of(ticket: Ticket) -> tuple[str, str, str]:
    lot = ticket.equipment.lot if ticket.equipment else "Lot 01"
    for problem in PROBLEMS[lot]:
        if problem[0] == ticket.summary:
            return problem
    return PROBLEMS[lot][0]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
