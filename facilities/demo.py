"""Demo facilities: the real ones named in shared/seeds plus generated neighbours."""

import random

from facilities.models import (
    Facility,
    LegalForm,
    Product,
    Recognition,
    RecognitionLevel,
    Sector,
    YearlyFigure,
)
from khuyencong.models import Locality, LocalityKind

M = 1_000_000

# name, legal form, sector, locality code, representative, products [(name, [(level, year)])]
REAL_FACILITIES = [
    (
        "Công ty TNHH Giang Hiền",
        LegalForm.ENTERPRISE,
        "CK",
        "040.01",
        "Nông Văn Hiền",
        [("Tôn chống nóng", [(RecognitionLevel.PROVINCIAL, 2018)])],
    ),
    (
        "Hợp tác xã Ngôi Sao Sáng",
        LegalForm.COOPERATIVE,
        "CK",
        "051.04",
        "Hoàng Văn Sáng",
        [("Sản phẩm gia công cơ khí", [])],
    ),
    (
        "Công ty TNHH MTV Du Trọng Đại",
        LegalForm.ENTERPRISE,
        "VLXD",
        "051.02",
        "Du Trọng Đại",
        [("Gạch không nung", [(RecognitionLevel.PROVINCIAL, 2020)])],
    ),
    (
        "Hợp tác xã Tâm Hòa",
        LegalForm.COOPERATIVE,
        "CBNLTS",
        "051.01",
        "Lương Thị Tâm",
        [
            (
                "Lạp sườn",
                [
                    (RecognitionLevel.PROVINCIAL, 2018),
                    (RecognitionLevel.REGIONAL, 2020),
                    (RecognitionLevel.NATIONAL, 2021),
                ],
            ),
            (
                "Thịt lợn hun khói",
                [(RecognitionLevel.PROVINCIAL, 2018), (RecognitionLevel.NATIONAL, 2021)],
            ),
        ],
    ),
    (
        "Công ty TNHH MTV 688",
        LegalForm.ENTERPRISE,
        "TCMN",
        "052.05",
        "Nguyễn Văn Tám",
        [
            (
                "Chiếu trúc",
                [
                    (RecognitionLevel.PROVINCIAL, 2018),
                    (RecognitionLevel.REGIONAL, 2020),
                    (RecognitionLevel.NATIONAL, 2021),
                ],
            )
        ],
    ),
    (
        "Hợp tác xã nông nghiệp Cai Bộ",
        LegalForm.COOPERATIVE,
        "CBNLTS",
        "049.01",
        "Đinh Văn Bộ",
        [("Miến dong", [(RecognitionLevel.PROVINCIAL, 2022)])],
    ),
]

TRADES = [
    (
        "CBNLTS",
        ["Miến dong", "Bánh cuốn", "Thạch đen", "Chè Shan tuyết", "Mật ong bạc hà", "Hạt dẻ"],
    ),
    ("VLXD", ["Gạch không nung", "Đá xây dựng", "Ngói màu"]),
    ("CK", ["Dao rèn", "Nông cụ cầm tay", "Khung nhà thép"]),
    ("TCMN", ["Giấy bản", "Hương", "Thổ cẩm", "Đồ mây tre đan"]),
    ("DMDG", ["May mặc", "Chăn ga"]),
]
FAMILY = ["Nông", "Hoàng", "Lương", "Bế", "Đàm", "Lục", "Triệu", "Nguyễn", "Hà", "Lý", "Ma", "Vi"]
GIVEN = [
    "Văn An",
    "Thị Bình",
    "Văn Cường",
    "Thị Dung",
    "Văn Đức",
    "Thị Hoa",
    "Văn Khánh",
    "Thị Lan",
    "Văn Minh",
    "Thị Nga",
    "Văn Phúc",
    "Thị Quyên",
    "Văn Sơn",
    "Thị Thu",
]


def _figures(facility, rng, base_workers):
    workers = base_workers
    # Facilities file figures from the year after they were founded (the demo starts in 2019).
    first = max(2019, (facility.founded_year or 2018) + 1)
    for year in range(first, 2025):
        revenue = workers * rng.randint(80, 260) * M
        YearlyFigure.objects.update_or_create(
            facility=facility,
            year=year,
            defaults={"workers": workers, "revenue": revenue, "capital": revenue // 2},
        )
        workers = max(2, workers + rng.randint(-1, 3))


def seed_facilities(count: int = 42) -> list[Facility]:
    rng = random.Random(2026)
    sectors = {s.code: s for s in Sector.objects.all()}
    communes = list(
        Locality.objects.filter(kind__in=[LocalityKind.COMMUNE, LocalityKind.WARD]).order_by("code")
    )
    facilities = []
    for index, (name, form, sector, code, rep, products) in enumerate(REAL_FACILITIES):
        facility, _ = Facility.objects.get_or_create(
            name=name,
            defaults={
                "legal_form": form,
                "tax_code": f"48001{index:05d}",
                "locality": Locality.objects.get(code=code),
                "main_sector": sectors[sector],
                "representative": rep,
                "address": f"{Locality.objects.get(code=code).full_name}, tỉnh Cao Bằng",
                "phone": f"0206 385{index:04d}",
                "founded_year": 2005 + index,
                "woman_owned": rep.split()[1] == "Thị",
                "ethnic_minority_owned": rep.split()[0] in {"Nông", "Hoàng", "Lương", "Đinh"},
            },
        )
        _figures(facility, rng, 12 + index * 3)
        for product_name, recognitions in products:
            product, _ = Product.objects.get_or_create(facility=facility, name=product_name)
            for level, year in recognitions:
                Recognition.objects.get_or_create(
                    product=product,
                    level=level,
                    year=year,
                    defaults={"certificate_number": f"{year}/GCN-{level[:2].upper()}-{index:03d}"},
                )
        facilities.append(facility)

    index = len(REAL_FACILITIES)
    while len(facilities) < count:
        sector_code, goods = TRADES[index % len(TRADES)]
        good = goods[index % len(goods)]
        locality = communes[(index * 7) % len(communes)]
        form = [
            LegalForm.HOUSEHOLD,
            LegalForm.COOPERATIVE,
            LegalForm.ENTERPRISE,
            LegalForm.COOPERATIVE_GROUP,
        ][index % 4]
        prefix = {
            LegalForm.HOUSEHOLD: "Hộ kinh doanh",
            LegalForm.COOPERATIVE: "Hợp tác xã",
            LegalForm.ENTERPRISE: "Công ty TNHH",
            LegalForm.COOPERATIVE_GROUP: "Tổ hợp tác",
        }[form]
        rep = f"{FAMILY[index % len(FAMILY)]} {GIVEN[index % len(GIVEN)]}"
        name = f"{prefix} {good} {locality.name}"
        facility, _ = Facility.objects.get_or_create(
            name=name,
            defaults={
                "legal_form": form,
                "tax_code": f"48001{index:05d}",
                "locality": locality,
                "main_sector": sectors[sector_code],
                "representative": rep,
                "address": f"{locality.full_name}, tỉnh Cao Bằng",
                "founded_year": 1995 + (index * 3) % 29,
                "woman_owned": "Thị" in rep,
                "ethnic_minority_owned": index % 3 != 0,
            },
        )
        _figures(facility, rng, 3 + (index * 5) % 40)
        if index % 4 == 0:
            product, _ = Product.objects.get_or_create(facility=facility, name=good)
            Recognition.objects.get_or_create(
                product=product,
                level=RecognitionLevel.PROVINCIAL,
                year=2016 + (index % 4) * 2,
                defaults={"certificate_number": f"GCN-T-{index:03d}"},
            )
        facilities.append(facility)
        index += 1
    return facilities


def demo_facility(name: str | None, district: str | None = None) -> Facility | None:
    """A demo facility by name, or the first one of a district (for stories that need any)."""
    if name:
        return Facility.objects.filter(name=name).first()
    root = Locality.objects.get(code=district)
    return (
        Facility.objects.filter(locality__path__startswith=root.path)
        .exclude(name="Công ty TNHH MTV 688")
        .order_by("name")
        .first()
    )
