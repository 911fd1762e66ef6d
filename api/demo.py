"""A demo data set: one region, two districts with their cabinets, schools, a college, a university."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from api.db import Database
from api.domain.accounts.models import RoleAssignment, User
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import EducationLevel, OrgKind, make_bin
from api.domain.organisations.schemas import OrganisationCreate
from api.domain.organisations.services import OrganisationService
from api.domain.territories.models import Territory, TerritoryKind
from api.domain.territories.services import TerritoryService
from api.identity.dev import DEV_ISSUER
from api.roles import Role
from tenants.provisioning import provision_organisation

REGION = "karaganda"

DISTRICTS = [
    ("karaganda-bukhar-zhyrau", TerritoryKind.DISTRICT, "Бұқар жырау ауданы", "Бухар-Жырауский район", "Bukhar-Zhyrau District"),
    ("karaganda-temirtau", TerritoryKind.TOWN, "Теміртау қаласы", "город Темиртау", "Temirtau"),
]

SCHOOL = [EducationLevel.PRIMARY, EducationLevel.BASIC_SECONDARY, EducationLevel.GENERAL_SECONDARY]


@dataclass(frozen=True)
class DemoOrg:
    serial: str  # the first eleven digits of the BIN; the check digit is computed
    kind: OrgKind
    territory: str
    name_kk: str
    name_ru: str
    name_en: str
    levels: tuple[EducationLevel, ...] = ()


DEMO_ORGS = [
    DemoOrg("07014000101", OrgKind.CABINET_REGION, REGION, "Қарағанды облысының әдістемелік кабинеті",
            "Методический кабинет Карагандинской области", "Karaganda Region Methodological Cabinet"),
    DemoOrg("07014000202", OrgKind.CABINET_DISTRICT, "karaganda-bukhar-zhyrau", "Бұқар жырау ауданының әдістемелік кабинеті",
            "Методический кабинет Бухар-Жырауского района", "Bukhar-Zhyrau District Methodological Cabinet"),
    DemoOrg("07014000303", OrgKind.CABINET_CITY, "karaganda-temirtau", "Теміртау қаласының әдістемелік кабинеті",
            "Методический кабинет города Темиртау", "Temirtau City Methodological Cabinet"),
    DemoOrg("07014000404", OrgKind.SCHOOL, "karaganda-bukhar-zhyrau", "Ботақара жалпы білім беретін мектебі",
            "Общеобразовательная школа посёлка Ботакара", "Botakara Secondary School", tuple(SCHOOL)),
    DemoOrg("07014000505", OrgKind.SCHOOL, "karaganda-bukhar-zhyrau", "Ғабиден Мұстафин атындағы мектеп-гимназия",
            "Школа-гимназия имени Габидена Мустафина", "Gabiden Mustafin School-Gymnasium", tuple(SCHOOL)),
    DemoOrg("07014000606", OrgKind.SCHOOL, "karaganda-temirtau", "Теміртау қаласының №1 мектеп-лицейі",
            "Школа-лицей №1 города Темиртау", "Temirtau School-Lyceum No. 1", tuple(SCHOOL)),
    DemoOrg("07014000707", OrgKind.COLLEGE, REGION, "Қарағанды политехникалық колледжі",
            "Карагандинский политехнический колледж", "Karaganda Polytechnic College",
            (EducationLevel.TECHNICAL_VOCATIONAL, EducationLevel.POST_SECONDARY)),
    DemoOrg("07014000808", OrgKind.UNIVERSITY, REGION, "Академик Е.А. Бөкетов атындағы Қарағанды университеті",
            "Карагандинский университет имени академика Е.А. Букетова", "Karaganda Buketov University",
            (EducationLevel.HIGHER, EducationLevel.POSTGRADUATE)),
]


def demo_bin(serial: str) -> str:
    bin_ = make_bin(serial)
    assert bin_ is not None, f"no valid check digit for {serial}"
    return bin_


@dataclass(frozen=True)
class DemoUser:
    subject: str
    full_name: str
    email: str
    role: Role
    territory: str | None = None  # a territory slug, or
    organisation: str | None = None  # a DemoOrg serial


# Development sign-in offers these accounts (api.identity.dev), one per kind of work.
DEMO_USERS = [
    DemoUser("national-admin", "Айгүл Сәрсенова", "national.admin@demo.metodist.kz", Role.NATIONAL_ADMIN, territory="kz"),
    DemoUser("district-methodist", "Нұрлан Ахметов", "methodist@demo.metodist.kz", Role.DISTRICT_METHODIST,
             territory="karaganda-bukhar-zhyrau"),
    DemoUser("school-admin", "Дана Қасымова", "admin@botakara.demo.metodist.kz", Role.ORGANISATION_ADMIN,
             organisation="07014000404"),
    DemoUser("deputy-head", "Ерлан Жұмабеков", "deputy@botakara.demo.metodist.kz", Role.DEPUTY_HEAD,
             organisation="07014000404"),
    DemoUser("teacher", "Мәдина Оспанова", "teacher@botakara.demo.metodist.kz", Role.TEACHER,
             organisation="07014000404"),
]


async def load_demo_users(db: Database) -> int:
    """Adds the demo users that are missing, with their roles. Returns how many were added."""
    added = 0
    async with db.session() as session, session.begin():
        for demo in DEMO_USERS:
            exists = await session.scalar(select(User.id).where(User.issuer == DEV_ISSUER, User.subject == demo.subject))
            if exists is not None:
                continue
            territory_id = organisation_id = None
            if demo.territory:
                territory_id = await session.scalar(select(Territory.id).where(Territory.slug == demo.territory))
            if demo.organisation:
                organisation_id = await session.scalar(select(Organisation.id).where(Organisation.bin == demo_bin(demo.organisation)))
            if territory_id is None and organisation_id is None:
                continue  # the demo organisation or territory is not there
            user = User(issuer=DEV_ISSUER, subject=demo.subject, email=demo.email, full_name=demo.full_name,
                        email_verified=True)
            session.add(user)
            await session.flush()
            session.add(RoleAssignment(user_id=user.id, role=demo.role.value, territory_id=territory_id,
                                       organisation_id=organisation_id))
            added += 1
    return added


async def load_demo(db: Database) -> int:
    """Creates the demo set once: skipped when any organisation exists. Returns how many were made."""
    async with db.session() as session:
        existing = bool(await session.scalar(select(func.count()).select_from(Organisation)))
    if existing:
        # A data set from before the demo users existed gets them now.
        await load_demo_users(db)
        return 0
    async with db.session() as session, session.begin():
        territories = TerritoryService(session)
        region = await territories.by_slug(REGION)
        for slug, kind, kk, ru, en in DISTRICTS:
            await territories.upsert(slug=slug, kind=kind, parent_id=region.id, name_kk=kk, name_ru=ru, name_en=en)
        service = OrganisationService(session)
        created = []
        for demo in DEMO_ORGS:
            territory = await territories.by_slug(demo.territory)
            org = await service.create(
                OrganisationCreate(
                    kind=demo.kind,
                    territory_id=territory.id,
                    bin=demo_bin(demo.serial),
                    name_kk=demo.name_kk,
                    name_ru=demo.name_ru,
                    name_en=demo.name_en,
                    levels=list(demo.levels),
                )
            )
            created.append(org.id)
    for organisation_id in created:
        await provision_organisation(db, organisation_id)
    await load_demo_users(db)
    return len(created)
