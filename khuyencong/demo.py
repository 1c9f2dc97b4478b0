"""Demo accounts. Only the `seed_demo` command calls this: never a migration, never production."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from khuyencong.localities import load_localities
from khuyencong.models import Locality, Role, User

DEMO_PASSWORD = "khuyencong"
# Shared by every app's demo: the implementing centre, the note on invented figures, a million.
CENTRE = "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp tỉnh Cao Bằng"
ILLUSTRATION = "Số liệu minh họa (dữ liệu demo)"
M = 1_000_000
# Two-factor sign-in is required for managers and superusers. The demo `lanhdao` and `quantri`
# get an authenticator with this published secret, so a tester can compute the codes
# (`oathtool --totp -b NNUHK6LFNZRW63THFVSGK3LPFUZGMYJB`). Demo data only: never production.
DEMO_TOTP_KEY = b"khuyencong-demo-2fa!".hex()
DEMO_TOTP_USERS = ("lanhdao", "quantri")
DEMO_DISTRICT_CODE = "052"  # Nguyên Bình: Tam Kim, Công ty 688 (shared/seeds)

DEMO_USERS = [
    # username, full name, role, locality code, position
    ("trungtam", "Bế Thị Hương", Role.CENTRE_STAFF, None, "Cán bộ Trung tâm Khuyến công"),
    ("huyen", "Nông Văn Dũng", Role.DISTRICT_OFFICER, DEMO_DISTRICT_CODE, "Cán bộ địa bàn"),
    ("huyen2", "Hoàng Thị Mai", Role.DISTRICT_OFFICER, "051", "Cán bộ địa bàn"),
    ("lanhdao", "Đàm Văn Hải", Role.MANAGER, None, "Giám đốc Trung tâm"),
    ("thanhtra", "Lục Thị Hà", Role.VIEWER, None, "Thanh tra Sở Công Thương"),
]


def seed_users() -> dict[str, User]:
    load_localities()
    users = {}
    for username, full_name, role, code, position in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "full_name": full_name,
                "role": role,
                "locality": Locality.objects.get(code=code) if code else None,
                "position": position,
                "email": f"{username}@khuyencong.example",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        users[username] = user
    admin, created = User.objects.get_or_create(
        username="quantri",
        defaults={
            "full_name": "Quản trị hệ thống",
            "role": Role.CENTRE_STAFF,
            "is_staff": True,
            "is_superuser": True,
            "email": "quantri@khuyencong.example",
        },
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    users["quantri"] = admin
    for username in DEMO_TOTP_USERS:
        TOTPDevice.objects.get_or_create(
            user=users[username],
            name="demo",
            defaults={"key": DEMO_TOTP_KEY, "confirmed": True},
        )
    # Demo accounts keep their shared password: no forced change (must_change_password stays
    # False); every user can change it at /tai-khoan/doi-mat-khau/.
    return users
