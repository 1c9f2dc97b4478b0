"""Reference data every province starts from: funding sources, activity types (Decree 45/2012
Art. 4 as amended by Decree 235/2025), the national support norms domain.md confirms, advance
limits (TT 36/2013/TT-BCT) and the usual plan indicators. All of it stays editable."""

import datetime
from decimal import Decimal

from django.db import migrations

SOURCES = [
    ("KCĐP", "Khuyến công địa phương", False, 1),
    ("KCQG", "Khuyến công quốc gia", True, 2),
]

TT36 = "Thông tư 36/2013/TT-BCT (tạm ứng)"
ACTIVITY_TYPES = [
    ("DTN", "Đào tạo nghề, truyền nghề và phát triển nghề", 70, TT36),
    ("NLQL", "Nâng cao năng lực quản lý cho cơ sở CNNT", 70, TT36),
    ("MHTD", "Xây dựng mô hình trình diễn kỹ thuật", None, ""),
    ("UDMM", "Ứng dụng máy móc thiết bị tiên tiến, chuyển giao công nghệ", None, ""),
    ("SXSH", "Sản xuất sạch hơn", 70, TT36),
    ("SPTB", "Phát triển sản phẩm CNNT tiêu biểu, hội chợ triển lãm", None, ""),
    ("TVTT", "Tư vấn, cung cấp thông tin, tuyên truyền", 70, TT36),
    ("LKCCN", "Liên doanh liên kết, phát triển cụm công nghiệp", 30, TT36),
    ("HTQT", "Hợp tác quốc tế về khuyến công", None, ""),
    ("NLKC", "Nâng cao năng lực tổ chức thực hiện hoạt động khuyến công", None, ""),
    ("CDS", "Chuyển đổi số", None, ""),
]

M = 1_000_000
TTLT26 = "Thông tư liên tịch 26/2014/TTLT-BTC-BCT (đã hết hiệu lực)"
TT28 = "Thông tư 28/2018/TT-BTC, Điều 8 (sửa đổi bởi Thông tư 64/2024/TT-BTC)"
NORMS = [
    # activity, source, rate %, max amount, unit, from, to, basis
    ("MHTD", "KCQG", "30", 500 * M, "mỗi mô hình", (2014, 4, 8), (2018, 5, 14), TTLT26),
    ("UDMM", "KCQG", "50", 200 * M, "mỗi cơ sở", (2014, 4, 8), (2018, 5, 14), TTLT26),
    ("MHTD", "KCQG", "30", 1000 * M, "mỗi mô hình", (2018, 5, 15), None, TT28 + ", khoản 2"),
    ("UDMM", "KCQG", "50", 300 * M, "mỗi cơ sở", (2018, 5, 15), None, TT28 + ", khoản 4"),
]

INDICATORS = [
    ("MHTD", "Mô hình trình diễn kỹ thuật", "mô hình", "project_count", "MHTD", "", 1),
    ("UDMM", "Cơ sở được hỗ trợ máy móc thiết bị", "cơ sở", "project_count", "UDMM", "", 2),
    (
        "HOICHO",
        "Lượt cơ sở tham gia hội chợ, triển lãm",
        "lượt cơ sở",
        "outcome_sum",
        None,
        "fair_participations",
        3,
    ),
    (
        "QUANLY",
        "Người được đào tạo nâng cao năng lực quản lý",
        "người",
        "outcome_sum",
        None,
        "managers_trained",
        4,
    ),
    ("DAOTAO", "Lao động được đào tạo nghề", "người", "outcome_sum", None, "people_trained", 5),
    ("VIECLAM", "Việc làm tạo mới", "người", "outcome_sum", None, "jobs_created", 6),
]


def seed(apps, schema_editor):
    FundingSource = apps.get_model("projects", "FundingSource")
    ActivityType = apps.get_model("projects", "ActivityType")
    SupportNorm = apps.get_model("projects", "SupportNorm")
    Indicator = apps.get_model("projects", "Indicator")
    sources = {}
    for code, name, national, order in SOURCES:
        sources[code], _ = FundingSource.objects.get_or_create(
            code=code, defaults={"name": name, "is_national": national, "order": order}
        )
    types = {}
    for order, (code, name, advance, basis) in enumerate(ACTIVITY_TYPES, 1):
        types[code], _ = ActivityType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "order": order,
                "max_advance_percent": advance,
                "advance_legal_basis": basis,
            },
        )
    if not SupportNorm.objects.exists():
        for activity, source, rate, amount, unit, start, end, basis in NORMS:
            SupportNorm.objects.create(
                activity_type=types[activity],
                funding_source=sources[source],
                max_rate_percent=Decimal(rate),
                max_amount=amount,
                unit=unit,
                effective_from=datetime.date(*start),
                effective_to=datetime.date(*end) if end else None,
                legal_basis=basis,
            )
    for code, name, unit, measure, activity, outcome, order in INDICATORS:
        Indicator.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "unit": unit,
                "measure": measure,
                "activity_type": types[activity] if activity else None,
                "outcome_field": outcome,
                "order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
