"""The demo region: Karaganda's districts and towns, and its organisations of every kind.

Eight organisations are named by hand (other code and the tests refer to them by BIN); the rest
are generated from a seeded `random.Random`, so every run makes the same region. Each
organisation carries the compliance gaps the demo gives it (`Gap`): most have some, a share have
none, and across the region every check of `api.domain.compliance.checks` finds something.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass

from api.domain.organisations.rules import EducationLevel, OrgKind, make_bin
from api.domain.territories.models import TerritoryKind

REGION = "karaganda"
SEED = 583  # the order's number: any fixed seed would do


@dataclass(frozen=True)
class DemoTerritory:
    slug: str
    kind: TerritoryKind
    name_kk: str
    name_ru: str
    name_en: str
    of_kk: str  # "of the district", for organisations' names
    of_ru: str


# The first two are the districts the demo has always had; the tests name them.
DISTRICTS = [
    DemoTerritory(
        "karaganda-bukhar-zhyrau",
        TerritoryKind.DISTRICT,
        "Бұқар жырау ауданы",
        "Бухар-Жырауский район",
        "Bukhar-Zhyrau District",
        "Бұқар жырау ауданының",
        "Бухар-Жырауского района",
    ),
    DemoTerritory(
        "karaganda-temirtau",
        TerritoryKind.TOWN,
        "Теміртау қаласы",
        "город Темиртау",
        "Temirtau",
        "Теміртау қаласының",
        "города Темиртау",
    ),
    DemoTerritory(
        "karaganda-abay",
        TerritoryKind.DISTRICT,
        "Абай ауданы",
        "Абайский район",
        "Abay District",
        "Абай ауданының",
        "Абайского района",
    ),
    DemoTerritory(
        "karaganda-osakarovka",
        TerritoryKind.DISTRICT,
        "Осакаров ауданы",
        "Осакаровский район",
        "Osakarovka District",
        "Осакаров ауданының",
        "Осакаровского района",
    ),
    DemoTerritory(
        "karaganda-nura",
        TerritoryKind.DISTRICT,
        "Нұра ауданы",
        "Нуринский район",
        "Nura District",
        "Нұра ауданының",
        "Нуринского района",
    ),
    DemoTerritory(
        "karaganda-saran",
        TerritoryKind.TOWN,
        "Саран қаласы",
        "город Сарань",
        "Saran",
        "Саран қаласының",
        "города Сарани",
    ),
    DemoTerritory(
        "karaganda-shakhtinsk",
        TerritoryKind.TOWN,
        "Шахтинск қаласы",
        "город Шахтинск",
        "Shakhtinsk",
        "Шахтинск қаласының",
        "города Шахтинска",
    ),
    DemoTerritory(
        "karaganda-balkhash",
        TerritoryKind.TOWN,
        "Балқаш қаласы",
        "город Балхаш",
        "Balkhash",
        "Балқаш қаласының",
        "города Балхаша",
    ),
]

SCHOOL_LEVELS = (EducationLevel.PRIMARY, EducationLevel.BASIC_SECONDARY, EducationLevel.GENERAL_SECONDARY)


class Gap(enum.StrEnum):
    """What an organisation of the demo fails, each named for the clause its check reports."""

    PLAN_DIRECTIONS = "plan_directions"  # cl. 7: the approved plans leave out direction 8
    NO_DEPUTY = "no_deputy"  # cl. 14: nobody holds the position deputy_head
    FACULTY_WITHOUT_COUNCIL = "faculty_without_council"  # cl. 14: a university's faculty has no council
    ROUTE_18 = "route_18"  # cl. 18-21: a document went through a route missing a body
    ROUTE_19 = "route_19"
    ROUTE_20 = "route_20"
    ROUTE_21 = "route_21"
    MISSED_MEETING = "missed_meeting"  # cl. 25: an association skipped the last closed term
    LONELY_SUBJECT = "lonely_subject"  # cl. 26: three teachers of a subject, no association
    PLAN_UNAPPROVED = "plan_unapproved"  # cl. 29: a plan waits for the head still
    LEADER_LAPSED = "leader_lapsed"  # cl. 30: a leader's term ended and nobody was elected
    NO_COUNCIL = "no_council"  # cl. 32: no methodological council, only the pedagogical one


SCHOOL_GAPS = [
    Gap.PLAN_DIRECTIONS,
    Gap.NO_DEPUTY,
    Gap.ROUTE_18,
    Gap.ROUTE_19,
    Gap.ROUTE_20,
    Gap.ROUTE_21,
    Gap.MISSED_MEETING,
    Gap.LONELY_SUBJECT,
    Gap.PLAN_UNAPPROVED,
    Gap.LEADER_LAPSED,
    Gap.NO_COUNCIL,
]
CABINET_GAPS = [Gap.LEADER_LAPSED]  # a district cabinet's inter-school association without a leader


@dataclass(frozen=True)
class DemoOrg:
    serial: str  # the first eleven digits of the BIN; the check digit is computed
    kind: OrgKind
    territory: str
    name_kk: str
    name_ru: str
    name_en: str
    levels: tuple[EducationLevel, ...] = ()
    gaps: frozenset[Gap] = frozenset()
    size: int = 1  # 0 small, 1 usual, 2 large: how many teachers and associations


# The organisations the demo has always had, with their BINs; what each lacks is chosen so that
# the demo users' school (Botakara) shows a few findings and its neighbour none.
NAMED_ORGS = [
    DemoOrg(
        "07014000101",
        OrgKind.CABINET_REGION,
        REGION,
        "Қарағанды облысының әдістемелік кабинеті",
        "Методический кабинет Карагандинской области",
        "Karaganda Region Methodological Cabinet",
    ),
    DemoOrg(
        "07014000202",
        OrgKind.CABINET_DISTRICT,
        "karaganda-bukhar-zhyrau",
        "Бұқар жырау ауданының әдістемелік кабинеті",
        "Методический кабинет Бухар-Жырауского района",
        "Bukhar-Zhyrau District Methodological Cabinet",
    ),
    DemoOrg(
        "07014000303",
        OrgKind.CABINET_CITY,
        "karaganda-temirtau",
        "Теміртау қаласының әдістемелік кабинеті",
        "Методический кабинет города Темиртау",
        "Temirtau City Methodological Cabinet",
        gaps=frozenset({Gap.LEADER_LAPSED}),
    ),
    DemoOrg(
        "07014000404",
        OrgKind.SCHOOL,
        "karaganda-bukhar-zhyrau",
        "Ботақара жалпы білім беретін мектебі",
        "Общеобразовательная школа посёлка Ботакара",
        "Botakara Secondary School",
        SCHOOL_LEVELS,
        frozenset({Gap.MISSED_MEETING, Gap.ROUTE_20, Gap.PLAN_UNAPPROVED}),
        size=2,
    ),
    DemoOrg(
        "07014000505",
        OrgKind.SCHOOL,
        "karaganda-bukhar-zhyrau",
        "Ғабиден Мұстафин атындағы мектеп-гимназия",
        "Школа-гимназия имени Габидена Мустафина",
        "Gabiden Mustafin School-Gymnasium",
        SCHOOL_LEVELS,
        size=2,
    ),
    DemoOrg(
        "07014000606",
        OrgKind.SCHOOL,
        "karaganda-temirtau",
        "Теміртау қаласының №1 мектеп-лицейі",
        "Школа-лицей №1 города Темиртау",
        "Temirtau School-Lyceum No. 1",
        SCHOOL_LEVELS,
        frozenset({Gap.NO_COUNCIL, Gap.PLAN_DIRECTIONS, Gap.LONELY_SUBJECT}),
    ),
    DemoOrg(
        "07014000707",
        OrgKind.COLLEGE,
        REGION,
        "Қарағанды политехникалық колледжі",
        "Карагандинский политехнический колледж",
        "Karaganda Polytechnic College",
        (EducationLevel.TECHNICAL_VOCATIONAL, EducationLevel.POST_SECONDARY),
        frozenset({Gap.ROUTE_19}),
    ),
    DemoOrg(
        "07014000808",
        OrgKind.UNIVERSITY,
        REGION,
        "Академик Е.А. Бөкетов атындағы Қарағанды университеті",
        "Карагандинский университет имени академика Е.А. Букетова",
        "Karaganda Buketov University",
        (EducationLevel.HIGHER, EducationLevel.POSTGRADUATE),
        frozenset({Gap.FACULTY_WITHOUT_COUNCIL}),
    ),
]

SCHOOLS_PER_TERRITORY = 9  # generated, besides the named ones: 92 organisations in all

# Colleges and the second university of the region: (kk, ru, en, territory, gaps).
COLLEGES = [
    (
        "Қарағанды жоғары педагогикалық колледжі",
        "Карагандинский высший педагогический колледж",
        "Karaganda Higher Pedagogical College",
        REGION,
        {Gap.NO_DEPUTY},
    ),
    (
        "Теміртау жоғары политехникалық колледжі",
        "Темиртауский высший политехнический колледж",
        "Temirtau Higher Polytechnic College",
        "karaganda-temirtau",
        set(),
    ),
    (
        "Балқаш гуманитарлық-техникалық колледжі",
        "Балхашский гуманитарно-технический колледж",
        "Balkhash Humanitarian and Technical College",
        "karaganda-balkhash",
        {Gap.PLAN_UNAPPROVED, Gap.LEADER_LAPSED},
    ),
    (
        "Саран гуманитарлық-техникалық колледжі",
        "Саранский гуманитарно-технический колледж",
        "Saran Humanitarian and Technical College",
        "karaganda-saran",
        set(),
    ),
    (
        "Қарағанды медициналық колледжі",
        "Карагандинский медицинский колледж",
        "Karaganda Medical College",
        REGION,
        {Gap.NO_COUNCIL},
    ),
]
UNIVERSITY = (
    "Әбілқас Сағынов атындағы Қарағанды техникалық университеті",
    "Карагандинский технический университет имени Абылкаса Сагинова",
    "Abylkas Saginov Karaganda Technical University",
)


def _serials(rng_start: int) -> list[str]:
    """Eleven-digit serials with a valid BIN check digit, in order (some have none: skipped)."""
    out, n = [], rng_start
    while len(out) < 200:
        serial = f"07014{n:06d}"
        if make_bin(serial) is not None:
            out.append(serial)
        n += 1
    return out


def _gaps(rng: random.Random, choices: list[Gap], compliant_share: float, index: int | None = None) -> frozenset[Gap]:
    """The first organisations (by `index`) take each gap in turn, so every one occurs; the rest
    are drawn: none at all for `compliant_share` of them, else one to three."""
    if index is not None and index < len(choices):
        return frozenset({choices[index]})
    if rng.random() < compliant_share:
        return frozenset()
    return frozenset(rng.sample(choices, rng.randint(1, min(3, len(choices)))))


def generated_orgs() -> list[DemoOrg]:
    rng = random.Random(SEED)
    serials = iter(_serials(1001))
    out: list[DemoOrg] = []
    school_index = 0
    for territory in DISTRICTS:
        if territory.slug not in ("karaganda-bukhar-zhyrau", "karaganda-temirtau"):  # those two have theirs
            kind = OrgKind.CABINET_DISTRICT if territory.kind is TerritoryKind.DISTRICT else OrgKind.CABINET_CITY
            out.append(
                DemoOrg(
                    next(serials),
                    kind,
                    territory.slug,
                    f"{territory.of_kk} әдістемелік кабинеті",
                    f"Методический кабинет {territory.of_ru}",
                    f"{territory.name_en} Methodological Cabinet",
                    gaps=_gaps(rng, CABINET_GAPS, 0.6),
                )
            )
        for number in range(1, SCHOOLS_PER_TERRITORY + 1):
            out.append(
                DemoOrg(
                    next(serials),
                    OrgKind.SCHOOL,
                    territory.slug,
                    f"{territory.of_kk} №{number} жалпы білім беретін мектебі",
                    f"Общеобразовательная школа №{number} {territory.of_ru}",
                    f"{territory.name_en} Secondary School No. {number}",
                    SCHOOL_LEVELS,
                    _gaps(rng, SCHOOL_GAPS, 0.35, school_index),
                    size=rng.choice((0, 1, 1, 2)),
                )
            )
            school_index += 1
    for kk, ru, en, territory_slug, gaps in COLLEGES:
        out.append(
            DemoOrg(
                next(serials),
                OrgKind.COLLEGE,
                territory_slug,
                kk,
                ru,
                en,
                (EducationLevel.TECHNICAL_VOCATIONAL, EducationLevel.POST_SECONDARY),
                frozenset(gaps),
            )
        )
    kk, ru, en = UNIVERSITY
    out.append(
        DemoOrg(
            next(serials), OrgKind.UNIVERSITY, REGION, kk, ru, en, (EducationLevel.HIGHER, EducationLevel.POSTGRADUATE)
        )
    )
    return out
