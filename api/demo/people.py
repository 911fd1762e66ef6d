"""Names for the demo's staff: Kazakh and Russian names drawn from a seeded generator, so an
organisation's people are the same on every run and rarely repeat within it."""

from __future__ import annotations

import random

_MALE_FIRST = [
    "Ерлан",
    "Нұрлан",
    "Асхат",
    "Бауыржан",
    "Дәурен",
    "Ержан",
    "Қайрат",
    "Марат",
    "Серік",
    "Талғат",
    "Арман",
    "Бекзат",
    "Ғалым",
    "Жандос",
    "Мұрат",
    "Олжас",
    "Руслан",
    "Сергей",
    "Андрей",
    "Дмитрий",
]
_FEMALE_FIRST = [
    "Айгүл",
    "Гүлнар",
    "Дана",
    "Жанар",
    "Әсел",
    "Мәдина",
    "Сәуле",
    "Ләззат",
    "Айжан",
    "Гүлмира",
    "Назгүл",
    "Ақмарал",
    "Динара",
    "Мейрамгүл",
    "Шынар",
    "Татьяна",
    "Елена",
    "Ольга",
    "Светлана",
    "Ирина",
]
_SURNAMES = [
    "Ахметов",
    "Жұмабеков",
    "Қасымов",
    "Оспанов",
    "Сәрсенов",
    "Нұрланов",
    "Бекмұхамбетов",
    "Тоқтаров",
    "Әбдірахманов",
    "Ермеков",
    "Смағұлов",
    "Исаев",
    "Қалиев",
    "Мұқанов",
    "Байжанов",
    "Омаров",
    "Серікбаев",
    "Жақсылықов",
    "Иванов",
    "Петров",
    "Ким",
    "Шевченко",
    "Мусин",
    "Төлеуов",
]
_PATRONYMIC_ROOTS = ["Серік", "Болат", "Ерлан", "Марат", "Қанат", "Нұрлан", "Асқар", "Бақыт", "Жомарт", "Талғат"]


def _feminine(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ин")):
        return surname + "а"
    return surname


class Names:
    """Distinct full names for one organisation, from its own seed."""

    def __init__(self, seed: str) -> None:
        self.rng = random.Random(seed)
        self.used: set[str] = set()

    def next(self) -> str:
        for _ in range(50):
            female = self.rng.random() < 0.7  # most teachers in Kazakhstan's schools are women
            first = self.rng.choice(_FEMALE_FIRST if female else _MALE_FIRST)
            surname = self.rng.choice(_SURNAMES)
            root = self.rng.choice(_PATRONYMIC_ROOTS)
            if female:
                name = f"{_feminine(surname)} {first} {root}қызы"
            else:
                name = f"{surname} {first} {root}ұлы"
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("no fresh name")  # 20 × 24 × 10 names: never for an organisation's staff
