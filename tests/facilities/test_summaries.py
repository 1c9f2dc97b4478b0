"""The registry's running totals (facilities/summaries.py) always equal a recomputation.

Random operations go through the paths the portal writes by — facilities created, moved to
another locality, given another main sector, renamed and deleted (with their figures and
products); yearly figures added, edited, moved to another facility and deleted; yearly figures
imported from Excel; products added, moved and deleted, recognitions added, edited and
deleted — and after every step the stored totals must match a recomputation over every facility
and figure, which is what `manage.py summaries --check` runs. Seeded, so a failure replays.
"""

import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from facilities import summaries
from facilities.figures_import import import_figures, parse_figures
from facilities.models import (
    Facility,
    FigureTotals,
    Product,
    Recognition,
    RecognitionLevel,
    RecognitionTotals,
    RegistryTotals,
    Sector,
    YearlyFigure,
)
from projects.reports import Area, facility_stats
from tests.conftest import make_facility
from tests.facilities.test_figures_import import row, xlsx

pytestmark = pytest.mark.django_db

YEARS = (2021, 2022, 2023, 2024)


def stored() -> tuple[dict, dict, dict]:
    figures = {
        tuple(r[k] for k in summaries.FIGURE_KEY): {k: r[k] for k in summaries.FIGURE_SUMS}
        for r in FigureTotals.objects.values(*summaries.FIGURE_KEY, *summaries.FIGURE_SUMS)
    }
    registry = {
        (r["locality_id"], r["main_sector_id"]): {"facilities": r["facilities"]}
        for r in RegistryTotals.objects.values(*summaries.REGISTRY_KEY, "facilities")
    }
    recognitions = {
        tuple(r[k] for k in summaries.RECOGNITION_KEY): {"recognitions": r["recognitions"]}
        for r in RecognitionTotals.objects.values(*summaries.RECOGNITION_KEY, "recognitions")
    }
    return figures, registry, recognitions


def recomputed() -> tuple[dict, dict, dict]:
    return (
        summaries.compute_figures(YearlyFigure.objects.all()),
        summaries.compute_registry(Facility.objects.all()),
        summaries.compute_recognitions(Recognition.objects.all()),
    )


class Story:
    def __init__(self, rng: random.Random, localities, staff):
        self.rng = rng
        self.localities = localities
        self.staff = staff
        self.sectors = list(Sector.objects.all()[:4])
        self.done: dict[str, int] = {}

    def facility(self):
        # In a fixed order, so that a seed replays the same story on every database.
        facilities = list(Facility.objects.order_by("pk"))
        return self.rng.choice(facilities) if facilities else None

    def a_figure(self):
        figures = list(YearlyFigure.objects.order_by("pk"))
        return self.rng.choice(figures) if figures else None

    def step(self):
        name = self.rng.choice(
            ["create", "create", "move", "sector", "rename", "delete", "figure", "figure"]
            + ["edit_figure", "move_figure", "delete_figure", "import_"]
            + ["product", "move_product", "delete_product", "recognise", "edit_recognition"]
            + ["delete_recognition"]
        )
        done = getattr(self, name)()
        if done:
            self.done[name] = self.done.get(name, 0) + 1

    def create(self):
        make_facility(self.rng.choice(self.localities), self.rng.choice(self.sectors))
        return True

    def move(self):
        facility = self.facility()
        if facility is None:
            return False
        # The figures keep the unit they were filed under; the scope follows the facility.
        facility.locality = self.rng.choice(self.localities)
        facility.save()
        return True

    def sector(self):
        facility = self.facility()
        if facility is None:
            return False
        facility.main_sector = self.rng.choice(self.sectors)
        facility.save()
        return True

    def rename(self):
        facility = self.facility()
        if facility is None:
            return False
        facility.name += " mới"
        facility.save()
        return True

    def delete(self):
        facility = self.facility()
        if facility is None or Facility.objects.count() < 3:
            return False
        facility.delete()
        return True

    def figure(self):
        facility = self.facility()
        if facility is None:
            return False
        year = self.rng.choice(YEARS)
        if YearlyFigure.objects.filter(facility=facility, year=year).exists():
            return False
        YearlyFigure.objects.create(
            facility=facility,
            year=year,
            workers=self.rng.randint(1, 300),
            revenue=self.rng.randint(0, 10**10),
            production_value=self.rng.choice([None, self.rng.randint(0, 10**10)]),
        )
        return True

    def edit_figure(self):
        figure = self.a_figure()
        if figure is None:
            return False
        figure.workers = self.rng.randint(1, 300)
        figure.production_value = self.rng.choice([None, self.rng.randint(0, 10**9)])
        figure.save()
        return True

    def move_figure(self):
        figure = self.a_figure()
        facility = self.facility()
        if figure is None or facility is None:
            return False
        if YearlyFigure.objects.filter(facility=facility, year=figure.year).exists():
            return False
        figure.facility = facility
        figure.save()
        return True

    def delete_figure(self):
        figure = self.a_figure()
        if figure is None:
            return False
        figure.delete()
        return True

    def product(self):
        facility = self.facility()
        if facility is None:
            return False
        Product.objects.create(facility=facility, name=f"Sản phẩm {self.rng.random()}")
        return True

    def a_product(self):
        products = list(Product.objects.order_by("pk"))
        return self.rng.choice(products) if products else None

    def move_product(self):
        product, facility = self.a_product(), self.facility()
        if product is None or facility is None:
            return False
        product.facility = facility
        product.save()
        return True

    def delete_product(self):
        product = self.a_product()
        if product is None or Product.objects.count() < 3:
            return False
        product.delete()  # with its recognitions
        return True

    def recognise(self):
        product = self.a_product()
        if product is None:
            return False
        level = self.rng.choice(RecognitionLevel.values)
        year = self.rng.choice(YEARS)
        if Recognition.objects.filter(product=product, level=level, year=year).exists():
            return False
        Recognition.objects.create(product=product, level=level, year=year)
        return True

    def a_recognition(self):
        recognitions = list(Recognition.objects.order_by("pk"))
        return self.rng.choice(recognitions) if recognitions else None

    def edit_recognition(self):
        recognition, product = self.a_recognition(), self.a_product()
        if recognition is None:
            return False
        recognition.product = product
        recognition.year = self.rng.choice(YEARS)
        if (
            Recognition.objects.filter(
                product=product, level=recognition.level, year=recognition.year
            )
            .exclude(pk=recognition.pk)
            .exists()
        ):
            return False
        recognition.save()
        return True

    def delete_recognition(self):
        recognition = self.a_recognition()
        if recognition is None:
            return False
        recognition.delete()
        return True

    def import_(self):
        facilities = list(Facility.objects.order_by("pk")[:5])
        if not facilities:
            return False
        rows = [
            row(
                code=f.registry_code,
                year=self.rng.choice(YEARS),
                workers=self.rng.randint(1, 50),
                production=self.rng.choice([None, 10**8]),
            )
            for f in facilities
        ]
        parsed = parse_figures(xlsx(rows), user=self.staff)
        if not parsed.rows or any(not r.ok for r in parsed.rows):
            return False
        import_figures(parsed.rows, self.staff)
        return True


@pytest.fixture
def localities(commune_a1, commune_b1, district_a):
    return [commune_a1, commune_b1, district_a]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_totals_equal_a_full_recomputation_after_random_operations(localities, staff, seed):
    story = Story(random.Random(seed), localities, staff)
    for number in range(120):
        story.step()
        assert stored() == recomputed(), f"seed {seed}, step {number}: {story.done}"
    for name in (
        *("create", "move", "sector", "delete", "figure", "edit_figure", "import_"),
        *("product", "move_product", "recognise", "edit_recognition", "delete_recognition"),
    ):
        assert story.done.get(name, 0) >= 1, repr(sorted(story.done.items()))
    assert YearlyFigure.objects.exists()
    assert summaries.differences() == []


def test_a_moved_facility_takes_its_figures_to_its_new_scope_and_keeps_their_unit(
    commune_a1, commune_b1
):
    facility = make_facility(commune_a1)
    YearlyFigure.objects.create(facility=facility, year=2023, workers=10, revenue=1)
    facility.locality = commune_b1
    facility.save()
    assert list(FigureTotals.objects.values_list("facility_locality_id", "locality_id")) == [
        (commune_b1.pk, commune_a1.pk)
    ]
    assert list(RegistryTotals.objects.values_list("locality_id", "facilities")) == [
        (commune_b1.pk, 1)
    ]
    facility.delete()
    assert not FigureTotals.objects.exists() and not RegistryTotals.objects.exists()


def test_the_check_command_lists_a_difference_and_the_rebuild_repairs_it(facility_a, staff):
    YearlyFigure.objects.create(facility=facility_a, year=2023, workers=10, revenue=1)
    call_command("summaries", "--check", stdout=StringIO())  # agrees: no error
    # A change that bypasses the signals, as a bulk write would.
    YearlyFigure.objects.filter(facility=facility_a).update(workers=17)
    errors = StringIO()
    with pytest.raises(CommandError, match="lệch 1 dòng"):
        call_command("summaries", "--check", stdout=StringIO(), stderr=errors)
    assert "workers 10 ≠ 17" in errors.getvalue()
    # The report reads the totals, not the figures.
    area = Area(staff)
    assert facility_stats(area=area, first_year=2023, last_year=2023).year(2023).workers == 10
    call_command("summaries", "--rebuild", stdout=StringIO())
    assert summaries.differences() == []
    assert facility_stats(area=area, first_year=2023, last_year=2023).year(2023).workers == 17


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_of_one_locality_leave_exact_totals(commune_a1, commune_b1):
    """Figures of four facilities of one commune saved at the same moment, then two of them
    moved to another commune while the others get a second year: each writer waits for the
    locality's lock and recomputes after the others commit, so no change is lost."""
    from tests.projects.applications.test_concurrency import run_together

    facilities = [make_facility(commune_a1) for _ in range(4)]

    def figure(facility, year):
        return lambda: YearlyFigure.objects.create(
            facility=facility, year=year, workers=10, revenue=1, production_value=5
        )

    created = run_together(*[figure(f, 2023) for f in facilities])
    assert [kind for kind, _ in created] == ["ok"] * 4, created
    assert summaries.differences() == []
    assert FigureTotals.objects.get(year=2023).facilities == 4

    def move(facility):
        def do():
            facility.locality = commune_b1
            facility.save()

        return do

    mixed = run_together(
        move(facilities[0]),
        move(facilities[1]),
        figure(facilities[2], 2024),
        figure(facilities[3], 2024),
    )
    assert [kind for kind, _ in mixed] == ["ok"] * 4, mixed
    assert summaries.differences() == []
    assert RegistryTotals.objects.get(locality=commune_b1).facilities == 2
