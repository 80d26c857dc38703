"""The demo people and companies: one list, read by `flask demo seed` and `flask demo accounts`.

Everything here is invented except the schools: a teacher's site is a real (FE, FI) pair of the
packaged FWB file (FE 2559 / FI 5136 is the Borlon site, the example school of the current portal:
docs/domain.md), or a school of the German-speaking Community's example file
(app/data/implantations-dg-exemple.csv, named by its establishment: it has no FE/FI). Addresses use
example.com domains, which never deliver anywhere; phone numbers follow the current portal's
"0123/456789", ten digits that no Belgian line has. The passwords are public by design: `flask demo
seed` refuses to run in production.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoSupplier:
    name: str
    reference_email: str
    phone: str
    # The lots whose equipment this company maintains.
    lots: tuple[str, ...]


@dataclass(frozen=True)
class DemoAccount:
    role: str  # a Role value: assistant, coordinator, supplier, teacher, admin
    email: str
    full_name: str
    password: str
    phone: str = ""
    supplier: str | None = None  # DemoSupplier.name, for role supplier
    site: tuple[int, int] | None = None  # (FE, FI), for role teacher
    school: str | None = None  # or the establishment of a site outside the FWB file
    language: str = "fr"  # of their pages and mails (docs/languages.md)

    @property
    def where(self) -> str:
        """The company, or the site as FE:FI, or "" (what `flask demo accounts` prints last)."""
        if self.supplier:
            return self.supplier
        if self.site:
            return f"{self.site[0]}:{self.site[1]}"
        return self.school or ""


MEUSE = "Meuse Informatique SRL"
BRABANT = "Brabant Systèmes SA"
ARDENNE = "Ardenne Numérique SRL"

DEMO_SUPPLIERS = (
    # A shared mailbox that is nobody's account: the company's users get no notification.
    DemoSupplier(
        MEUSE, "support@meuse-informatique.example.com", "0123/450010", ("Lot 01", "Lot 04")
    ),
    # The reference address is the account of the company's manager.
    DemoSupplier(
        BRABANT, "marc.dubois@brabant-systemes.example.com", "0123/450020", ("Lot 02", "Lot 05")
    ),
    DemoSupplier(ARDENNE, "helpdesk@ardenne-numerique.example.com", "0123/450030", ("Lot 03",)),
)

BORLON = (2559, 5136)  # Ecole communale fondamentale Borlon-Tohogne, Tige du Bois de Gras 16B
EUPEN = "Königliches Athenäum Eupen"  # a DG school: German mails, the DG calendar

DEMO_ACCOUNTS = (
    DemoAccount(
        "admin", "nathalie.renard@relais.example.com", "Nathalie Renard", "Phare-Granit-Hibou-61"
    ),
    DemoAccount(
        "assistant",
        "quentin.delree@relais.example.com",
        "Quentin Delrée",
        "Tournevis-Citadelle-48",
        phone="0123/450101",
    ),
    DemoAccount(
        "assistant",
        "sophie.marchal@relais.example.com",
        "Sophie Marchal",
        "Cartable-Ardoise-Coquelicot-27",
        phone="0123/450102",
    ),
    DemoAccount(
        "coordinator",
        "olivier.lemaire@relais.example.com",
        "Olivier Lemaire",
        "Boussole-Agenda-Peuplier-35",
    ),
    DemoAccount(
        "supplier",
        "julie.lambert@meuse-informatique.example.com",
        "Julie Lambert",
        "Pivert-Cable-Framboise-12",
        supplier=MEUSE,
    ),
    DemoAccount(
        "supplier",
        "thomas.collard@meuse-informatique.example.com",
        "Thomas Collard",
        "Clavier-Marmotte-Bruyere-84",
        supplier=MEUSE,
    ),
    DemoAccount(
        "supplier",
        "marc.dubois@brabant-systemes.example.com",
        "Marc Dubois",
        "Lanterne-Pommier-Cobalt-53",
        supplier=BRABANT,
    ),
    DemoAccount(
        "supplier",
        "ines.benali@brabant-systemes.example.com",
        "Inès Benali",
        "Sablier-Tulipe-Orage-29",
        supplier=BRABANT,
    ),
    DemoAccount(
        "supplier",
        "sarah.leclercq@ardenne-numerique.example.com",
        "Sarah Leclercq",
        "Sapin-Tonnerre-Myrtille-76",
        supplier=ARDENNE,
    ),
    # The technician who covers the German-speaking Community's schools: German pages and mails.
    DemoAccount(
        "supplier",
        "lukas.krings@ardenne-numerique.example.com",
        "Lukas Krings",
        "Bergkamm-Zaunkonig-Laterne-37",
        supplier=ARDENNE,
        language="de",
    ),
    DemoAccount(
        "teacher",
        "claire.dumont@ecole-borlon.example.com",
        "Claire Dumont",
        "Laiterie-Moineau-Craie-19",
        phone="0123/456789",
        site=BORLON,
    ),
    DemoAccount(
        "teacher",
        "thomas.gilson@ecole-namur2.example.com",
        "Thomas Gilson",
        "Compas-Luciole-Mirabelle-42",
        phone="0123/456790",
        site=(2941, 5847),  # Ecole fondamentale communale de Namur II, Rue Alphonse Delonnoy 8
    ),
    DemoAccount(
        "teacher",
        "amina.elidrissi@athenee-atlas.example.com",
        "Amina El Idrissi",
        "Abricot-Pelican-Horloge-63",
        phone="0123/456791",
        site=(2044, 4041),  # Athénée royal Liège Atlas, Quai Saint-Léonard 80
    ),
    DemoAccount(
        "teacher",
        "pierre.vandenberghe@ecole-chazal.example.com",
        "Pierre Vandenberghe",
        "Girafe-Encrier-Cerisier-58",
        phone="0123/456792",
        site=(435, 801),  # Ecole primaire d'enseignement spécialisé communal "Chazal", Schaerbeek
    ),
    # A teacher at a German-speaking Community school: her tickets' mails are German.
    DemoAccount(
        "teacher",
        "monika.heinen@ka-eupen.example.com",
        "Monika Heinen",
        "Wendeltreppe-Eichhorn-Kompass-45",
        phone="0123/456793",
        school=EUPEN,
        language="de",
    ),
)
