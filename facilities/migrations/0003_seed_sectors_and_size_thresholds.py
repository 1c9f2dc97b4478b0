import datetime

from django.db import migrations

SECTORS = [
    ("CBNLTS", "Chế biến nông, lâm, thủy sản và thực phẩm", "industry"),
    ("VLXD", "Sản xuất vật liệu xây dựng", "industry"),
    ("CK", "Cơ khí, sửa chữa máy móc, thiết bị, dụng cụ", "industry"),
    ("TCMN", "Thủ công mỹ nghệ, tiểu thủ công nghiệp", "industry"),
    ("DMDG", "Dệt may, da giày", "industry"),
    ("HCNN", "Hóa chất phục vụ nông nghiệp, nông thôn", "industry"),
    ("DDT", "Điện, điện tử, công nghệ thông tin", "industry"),
    ("KS", "Khai thác, chế biến khoáng sản", "industry"),
    ("CNHT", "Sản xuất sản phẩm công nghiệp hỗ trợ", "industry"),
    ("MT", "Xử lý ô nhiễm môi trường", "industry"),
    ("TMDV", "Thương mại, dịch vụ", "trade_services"),
    ("KHAC", "Ngành nghề khác", "industry"),
]

# Decree 80/2021/NĐ-CP, Art. 5 (effective 15/10/2021): workers, revenue, capital (đồng).
BN = 1_000_000_000
THRESHOLDS = [
    ("industry", "micro", 10, 3 * BN, 3 * BN),
    ("industry", "small", 100, 50 * BN, 20 * BN),
    ("industry", "medium", 200, 200 * BN, 100 * BN),
    ("trade_services", "micro", 10, 10 * BN, 3 * BN),
    ("trade_services", "small", 50, 100 * BN, 50 * BN),
    ("trade_services", "medium", 100, 300 * BN, 100 * BN),
]


def seed(apps, schema_editor):
    Sector = apps.get_model("facilities", "Sector")
    SizeThreshold = apps.get_model("facilities", "SizeThreshold")
    for code, name, group in SECTORS:
        Sector.objects.get_or_create(code=code, defaults={"name": name, "size_group": group})
    if not SizeThreshold.objects.exists():
        for group, size, workers, revenue, capital in THRESHOLDS:
            SizeThreshold.objects.create(
                size_group=group,
                size_class=size,
                max_workers=workers,
                max_revenue=revenue,
                max_capital=capital,
                effective_from=datetime.date(2021, 10, 15),
                legal_basis="Nghị định 80/2021/NĐ-CP, Điều 5",
            )


class Migration(migrations.Migration):
    dependencies = [("facilities", "0002_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
