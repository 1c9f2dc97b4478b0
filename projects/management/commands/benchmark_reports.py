"""Fill the current database with a synthetic province and time every report and list page.

    manage.py benchmark_reports --scale full --yes        # 20 000 facilities, 50 000 projects
    manage.py benchmark_reports                            # a quick small run on an empty DB

It writes into the CURRENT database, so it refuses to run on one that already holds facilities
or projects unless --yes is given. Rows are inserted with bulk_create (no per-row save()), so
computed columns (search_text, size classes, locality paths) are set here, and the reports'
running totals are rebuilt at the end (projects/planning/summaries.py, facilities/summaries.py).
"""

import datetime
import random
import statistics
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from facilities import summaries as facility_summaries
from facilities.models import (
    Facility,
    LegalForm,
    Product,
    Recognition,
    RecognitionLevel,
    Sector,
    SizeClass,
    YearlyFigure,
)
from khuyencong.models import Locality, LocalityKind, Role, User
from khuyencong.text import fold_join
from projects import reports
from projects.models import (
    AcceptanceOutcome,
    AcceptanceReview,
    ActivityType,
    Allocation,
    Disbursement,
    DisbursementKind,
    FollowUpAction,
    FundingSource,
    Indicator,
    Programme,
    ProgrammeBudget,
    Project,
    Status,
    Target,
)
from projects.planning import summaries

SCALES = {
    "small": {"facilities": 2_000, "projects": 5_000, "years": 10},
    "full": {"facilities": 20_000, "projects": 50_000, "years": 10},
}
BATCH = 2_000
M = 1_000_000
BENCH_USER = "benchmark_trungtam"
BENCH_OFFICER = "benchmark_canbo"


def fill_province(size: dict, *, seed: int = 2025, stdout=None) -> None:
    """Fill the current database with a synthetic province of `size` (one of SCALES, or the
    same keys), then settle it as a database that has lived a while is settled."""
    filler = Command(stdout=stdout)
    filler.rng = random.Random(seed)
    filler.fill(**size)
    settle()


def settle() -> None:
    """Fresh planner statistics and, on PostgreSQL, the visibility map that autovacuum keeps in
    a database that has lived a while (without it a count reads the table, not an index)."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


def size_class(workers: int) -> str:
    if workers <= 10:
        return SizeClass.MICRO
    if workers <= 100:
        return SizeClass.SMALL
    if workers <= 200:
        return SizeClass.MEDIUM
    return SizeClass.NOT_SME


class Command(BaseCommand):
    help = "Fill the database with a synthetic province and time each report and list page."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--facilities", type=int)
        parser.add_argument("--projects", type=int)
        parser.add_argument("--years", type=int)
        parser.add_argument("--repeat", type=int, default=3, help="Timed runs of each item.")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Write into a database that already holds facilities or projects.",
        )
        parser.add_argument(
            "--no-fill", action="store_true", help="Only time, on the data already there."
        )
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, *args, **options):
        size = dict(SCALES[options["scale"]])
        for key in size:
            if options[key]:
                size[key] = options[key]
        if size["years"] < 1:
            raise CommandError("--years phải ≥ 1.")
        db = connection.settings_dict
        self.stdout.write(f"Database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}")
        if not options["no_fill"]:
            if (Facility.objects.exists() or Project.objects.exists()) and not options["yes"]:
                raise CommandError(
                    "Cơ sở dữ liệu này đã có cơ sở CNNT hoặc đề án. Lệnh sẽ ghi thêm dữ liệu giả; "
                    "hãy dùng một cơ sở dữ liệu trống (ví dụ DATABASE_URL=sqlite:////tmp/kc-bench"
                    ".sqlite3) hoặc thêm --yes nếu chắc chắn."
                )
            started = time.perf_counter()
            fill_province(size, seed=options["seed"], stdout=self.stdout)
            self.stdout.write(f"Filled in {time.perf_counter() - started:.1f} s.")
        self.run_timings(options["repeat"])

    # --- filling ---------------------------------------------------------------------------

    @transaction.atomic
    def fill(self, *, facilities: int, projects: int, years: int):
        rng = self.rng
        last_year = datetime.date.today().year  # noqa: DTZ011 – a plain calendar year
        self.years = list(range(last_year - years + 1, last_year + 1))
        communes = self.localities()
        staff, _created = User.objects.get_or_create(
            username=BENCH_USER,
            defaults={"role": Role.CENTRE_STAFF, "full_name": "Cán bộ đo hiệu năng"},
        )
        officer, created = User.objects.get_or_create(
            username=BENCH_OFFICER,
            defaults={"role": Role.DISTRICT_OFFICER, "full_name": "Cán bộ địa bàn đo hiệu năng"},
        )
        if created:
            officer.localities.set([communes[0].parent or communes[0]])
        sectors = list(Sector.objects.all())
        self.stdout.write(f"  {len(communes)} localities, creating {facilities} facilities…")
        taken = set(Facility.objects.exclude(tax_code=None).values_list("tax_code", flat=True))
        start_code = 8_100_000_000 + rng.randrange(1_000_000)
        rows = []
        for i in range(facilities):
            tax = str(start_code + i)
            name = f"Cơ sở sản xuất mẫu số {i + 1}"
            rows.append(
                Facility(
                    name=name,
                    legal_form=rng.choice(LegalForm.values),
                    tax_code=None if tax in taken else tax,
                    locality=rng.choice(communes),
                    main_sector=rng.choice(sectors),
                    representative=f"Người đại diện {i + 1}",
                    founded_year=rng.randint(1990, self.years[0]),
                    search_text=fold_join(name, tax, f"Người đại diện {i + 1}"),
                )
            )
        made = Facility.objects.bulk_create(rows, batch_size=BATCH)
        figures, latest = [], {}
        for facility in made:
            workers = rng.randint(2, 60)
            first = rng.choice(self.years[: max(1, len(self.years) // 2)])
            for year in self.years:
                if year < first:
                    continue
                workers = max(1, int(workers * rng.uniform(0.95, 1.12)))
                klass = size_class(workers)
                figures.append(
                    YearlyFigure(
                        facility=facility,
                        locality_id=facility.locality_id,
                        year=year,
                        workers=workers,
                        revenue=workers * rng.randint(80, 300) * M,
                        capital=workers * rng.randint(50, 200) * M,
                        size_class=klass,
                    )
                )
                latest[facility.pk] = klass
        YearlyFigure.objects.bulk_create(figures, batch_size=BATCH * 2)
        by_class: dict[str, list[int]] = {}
        for pk, klass in latest.items():
            by_class.setdefault(klass, []).append(pk)
        for klass, ids in by_class.items():
            for chunk in range(0, len(ids), 900):
                Facility.objects.filter(pk__in=ids[chunk : chunk + 900]).update(size_class=klass)
        self.stdout.write(f"  {len(figures)} yearly figures; products and recognitions…")
        products = Product.objects.bulk_create(
            [
                Product(facility=f, name=f"Sản phẩm của {f.name}")
                for f in rng.sample(made, max(1, len(made) // 8))
            ],
            batch_size=BATCH,
        )
        recognitions = []
        for product in products:
            for level in rng.sample(RecognitionLevel.values, rng.randint(1, 2)):
                recognitions.append(
                    Recognition(
                        product=product,
                        level=level,
                        year=rng.choice(self.years),
                        certificate_number=f"GCN-{product.pk}-{level}",
                    )
                )
        Recognition.objects.bulk_create(recognitions, batch_size=BATCH)
        self.fill_projects(projects, made, communes, staff)

    def localities(self) -> list[Locality]:
        leaves = list(Locality.objects.filter(children__isnull=True, is_active=True))
        if leaves:
            return leaves
        province = Locality.objects.create(code="BM", name="Mẫu", kind=LocalityKind.PROVINCE)
        districts = Locality.objects.bulk_create(
            [
                Locality(
                    code=f"BM{d:02d}",
                    name=f"Mẫu {d}",
                    kind=LocalityKind.DISTRICT,
                    parent=province,
                    path=f"{province.path}BM{d:02d}/",
                )
                for d in range(1, 11)
            ]
        )
        return Locality.objects.bulk_create(
            [
                Locality(
                    code=f"{d.code}{c:02d}",
                    name=f"Mẫu {d}.{c}",
                    kind=LocalityKind.COMMUNE,
                    parent=d,
                    path=f"{d.path}{d.code}{c:02d}/",
                )
                for d in districts
                for c in range(1, 13)
            ]
        )

    def fill_projects(self, count: int, facilities, communes, staff):
        rng = self.rng
        sources = list(FundingSource.objects.all())
        types = list(ActivityType.objects.filter(is_active=True))
        last_year = self.years[-1]
        self.stdout.write(f"  creating {count} projects…")
        plan = []  # (project fields, status)
        for i in range(count):
            year = self.years[i % len(self.years)]
            age = last_year - year
            if age >= 2:
                status = rng.choices(
                    [Status.SETTLED, Status.ACCEPTED, Status.CANCELLED, Status.REJECTED],
                    [80, 8, 6, 6],
                )[0]
            elif age == 1:
                status = rng.choices(
                    [Status.SETTLED, Status.ACCEPTED, Status.AWAITING_ACCEPTANCE, Status.CANCELLED],
                    [40, 30, 25, 5],
                )[0]
            else:
                status = rng.choice(list(Status.values))
            plan.append((year, status))
        sequence: dict[tuple, int] = {}
        rows = []
        committed = {
            Status.APPROVED,
            Status.IN_PROGRESS,
            Status.AWAITING_ACCEPTANCE,
            Status.ACCEPTED,
            Status.SETTLED,
            Status.CANCELLED,
        }
        approved_sum: dict[tuple, int] = {}
        for year, status in plan:
            source = rng.choice(sources)
            activity = rng.choice(types)
            facility = rng.choice(facilities) if rng.random() < 0.75 else None
            locality = facility.locality if facility else rng.choice(communes)
            requested = rng.randint(50, 900) * M
            counterpart = rng.randint(0, 1500) * M
            approved = None
            # Cancelled projects here were cancelled after approval half of the time.
            if status in committed and (status != Status.CANCELLED or rng.random() < 0.5):
                approved = requested - rng.randint(0, 10) * M
                approved_sum[(year, source.pk)] = approved_sum.get((year, source.pk), 0) + approved
            sequence[(source.code, year)] = sequence.get((source.code, year), 0) + 1
            code = f"{source.code}-{year}-{sequence[(source.code, year)]:05d}"
            title = f"{activity.name} – đề án mẫu {code}"
            start = datetime.date(year, rng.randint(1, 6), rng.randint(1, 28))
            end = start + datetime.timedelta(days=rng.randint(60, 300))
            rows.append(
                Project(
                    code=code,
                    title=title,
                    activity_type=activity,
                    funding_source=source,
                    year=year,
                    facility=facility,
                    locality=locality,
                    implementing_unit=facility.name if facility else "Trung tâm Khuyến công",
                    total_cost=requested + counterpart,
                    requested_support=requested,
                    counterpart_funds=counterpart,
                    start_date=start,
                    end_date=end,
                    expected_jobs_created=rng.randint(0, 30),
                    expected_people_trained=rng.randint(0, 40),
                    expected_employed_after_training=rng.randint(0, 30),
                    status=status,
                    approved_amount=approved,
                    decision_number=f"{rng.randint(1, 999)}/QĐ-SCT" if approved else "",
                    decision_date=start if approved else None,
                    settled_amount=(approved - rng.randint(0, 5) * M)
                    if approved and status == Status.SETTLED
                    else None,
                    responsible_officer=staff,
                    created_by=staff,
                    search_text=fold_join(code, title, facility.name if facility else ""),
                )
            )
        allocations = {}
        for year in self.years:
            for source in sources:
                amount = int(approved_sum.get((year, source.pk), 0) * 1.1) + 100 * M
                allocations[(year, source.pk)] = Allocation(
                    year=year,
                    funding_source=source,
                    decision_number=f"BM-{year}-{source.pk}",
                    decision_date=datetime.date(year, 1, 15),
                    amount=amount,
                )
        Allocation.objects.bulk_create(list(allocations.values()))
        for project in rows:
            if project.approved_amount is not None:
                project.allocation = allocations[(project.year, project.funding_source_id)]
        made = Project.objects.bulk_create(rows, batch_size=BATCH)
        self.stdout.write("  disbursements, acceptance reviews, follow-up actions…")
        money, reviews, actions = [], [], []
        today = datetime.date.today()  # noqa: DTZ011
        for p in made:
            if p.approved_amount is None:
                continue
            if p.status in (Status.IN_PROGRESS, Status.AWAITING_ACCEPTANCE, Status.ACCEPTED):
                paid = [p.approved_amount // 2]
            elif p.status == Status.SETTLED:
                paid = [p.approved_amount // 2, p.settled_amount - p.approved_amount // 2]
            elif p.status == Status.CANCELLED and rng.random() < 0.3:
                paid = [p.approved_amount // 4]
            else:
                paid = []
            for n, amount in enumerate(paid):
                if amount > 0:
                    money.append(
                        Disbursement(
                            project=p,
                            kind=DisbursementKind.ADVANCE if n == 0 else DisbursementKind.PAYMENT,
                            date=p.start_date + datetime.timedelta(days=30 * (n + 1)),
                            amount=amount,
                            voucher_number=f"CT-{p.pk}-{n}",
                        )
                    )
            if p.status in (Status.ACCEPTED, Status.SETTLED):
                if rng.random() < 0.1:
                    reviews.append(self.review(p, AcceptanceOutcome.NOT_ACCEPTED, days=-20))
                reviews.append(self.review(p, AcceptanceOutcome.ACCEPTED, days=0))
            if p.status == Status.IN_PROGRESS and rng.random() < 0.2:
                actions.append(
                    FollowUpAction(
                        project=p,
                        description="Bổ sung hồ sơ thanh toán",
                        owner=staff,
                        due_date=today - datetime.timedelta(days=rng.randint(-30, 30)),
                    )
                )
        Disbursement.objects.bulk_create(money, batch_size=BATCH)
        AcceptanceReview.objects.bulk_create(reviews, batch_size=BATCH)
        FollowUpAction.objects.bulk_create(actions, batch_size=BATCH)
        # bulk_create sends no signals: the running totals are written once, at the end.
        summaries.rebuild()
        facility_summaries.rebuild()
        self.programme(sources)
        self.stdout.write(
            f"  {len(money)} disbursements, {len(reviews)} reviews, {len(actions)} actions."
        )

    def review(self, project, outcome, days: int) -> AcceptanceReview:
        rng = self.rng
        scale = 1 if outcome == AcceptanceOutcome.ACCEPTED else 0
        return AcceptanceReview(
            project=project,
            scheduled_date=project.end_date + datetime.timedelta(days=days),
            place="Tại cơ sở",
            outcome=outcome,
            achieved_jobs_created=scale * rng.randint(0, project.expected_jobs_created),
            achieved_people_trained=scale * rng.randint(0, project.expected_people_trained),
            achieved_employed_after_training=scale
            * rng.randint(0, project.expected_employed_after_training),
            counterpart_invested=scale * project.counterpart_funds,
        )

    def programme(self, sources):
        years = self.years[-5:]
        programme = Programme.objects.create(
            name="Chương trình khuyến công mẫu", start_year=years[0], end_year=years[-1]
        )
        ProgrammeBudget.objects.bulk_create(
            [
                ProgrammeBudget(programme=programme, funding_source=s, planned_amount=500_000 * M)
                for s in sources
            ]
        )
        Target.objects.bulk_create(
            [
                Target(indicator=i, programme=programme, value=self.rng.randint(50, 5000))
                for i in Indicator.objects.all()
            ]
        )

    # --- timing ----------------------------------------------------------------------------

    def run_timings(self, repeat: int):
        staff = (
            User.objects.filter(username=BENCH_USER).first()
            or User.objects.filter(role=Role.CENTRE_STAFF, is_active=True).first()
        )
        if staff is None:
            raise CommandError("Không có cán bộ Trung tâm để đo (hãy chạy không có --no-fill).")
        year = Project.objects.order_by("-year").values_list("year", flat=True).first()
        year = year or datetime.date.today().year  # noqa: DTZ011
        area = reports.Area(staff)
        programme = reports.default_programme(datetime.date(year, 6, 30))
        figure_years = reports.facility_years(area) or (year - 9, year)
        product_years = reports.recognition_years(area) or (year - 9, year)
        self.stdout.write(
            f"\nData: {Facility.objects.count()} facilities, {YearlyFigure.objects.count()} yearly "
            f"figures, {Project.objects.count()} projects, {Disbursement.objects.count()} "
            f"disbursements, {AcceptanceReview.objects.count()} reviews, "
            f"{Recognition.objects.count()} recognitions. Median of {repeat} runs.\n"
        )
        functions = {
            "reports.dashboard (year)": lambda: reports.dashboard(area=area, year=year).budget,
            "reports.annual_report": lambda: reports.annual_report(area=area, year=year).tables(),
            "reports.programme_report": (
                lambda: reports.programme_report(area=area, programme=programme).tables()
            )
            if programme
            else None,
            "reports.facility_stats (all years)": lambda: reports.facility_stats(
                area=area, first_year=figure_years[0], last_year=figure_years[1]
            ).tables(),
            "reports.product_report": lambda: reports.product_report(
                area=area, first_year=product_years[0], last_year=product_years[1]
            ).tables(),
            "reports.project_register (1 year, page 1)": lambda: list(
                reports.project_register(
                    area=area, projects=area.projects(), first_year=year, last_year=year
                ).projects[: settings.PAGE_SIZE]
            ),
        }
        results = []
        for name, fn in functions.items():
            if fn is not None:
                results.append((name, *self.measure(fn, repeat)))
        client = Client()
        client.force_login(staff)
        pages = [
            ("/ (dashboard)", "/"),
            ("/co-so/", "/co-so/"),
            ("/de-an/", "/de-an/"),
            ("/bao-cao/ket-qua-nam/", f"/bao-cao/ket-qua-nam/?year={year}"),
            ("/bao-cao/ket-qua-nam/ xlsx", f"/bao-cao/ket-qua-nam/?year={year}&format=xlsx"),
            ("/bao-cao/chuong-trinh/", "/bao-cao/chuong-trinh/"),
            (
                "/bao-cao/co-so-cnnt/",
                f"/bao-cao/co-so-cnnt/?first_year={figure_years[0]}&last_year={figure_years[1]}",
            ),
            ("/bao-cao/san-pham-tieu-bieu/", "/bao-cao/san-pham-tieu-bieu/"),
            (
                "/bao-cao/danh-muc-de-an/",
                f"/bao-cao/danh-muc-de-an/?year_from={year}&year_to={year}",
            ),
            (
                "/bao-cao/danh-muc-de-an/ xlsx (1 year)",
                f"/bao-cao/danh-muc-de-an/?year_from={year}&year_to={year}&format=xlsx",
            ),
        ]
        with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
            for name, url in pages:
                response = client.get(url)
                if response.status_code == 404:
                    results.append((name, None, None))
                    continue
                if response.status_code != 200:
                    raise CommandError(f"{url}: HTTP {response.status_code}")
                results.append((name, *self.measure(lambda u=url: client.get(u), repeat)))
        width = max(len(r[0]) for r in results)
        self.stdout.write(f"{'item'.ljust(width)}  {'median ms':>10}  {'queries':>7}")
        self.stdout.write(f"{'-' * width}  {'-' * 10}  {'-' * 7}")
        for name, ms, queries in results:
            if ms is None:
                self.stdout.write(f"{name.ljust(width)}  {'(no page)':>10}  {'':>7}")
            else:
                self.stdout.write(f"{name.ljust(width)}  {ms:>10.1f}  {queries:>7}")

    @staticmethod
    def measure(fn, repeat: int) -> tuple[float, int]:
        fn()  # warm-up (templates, caches)
        times, queries = [], 0
        for _run in range(repeat):
            with CaptureQueriesContext(connection) as captured, _timer() as elapsed:
                fn()
            times.append(elapsed())
            queries = len(captured)
        return statistics.median(times), queries


@contextmanager
def _timer():
    started = time.perf_counter()
    result = {"ms": 0.0}
    try:
        yield lambda: result["ms"]
    finally:
        result["ms"] = (time.perf_counter() - started) * 1000
