"""Demo accounts. Only the `seed_demo` command calls this: never a migration, never production."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from khuyencong.localities import load_default_tree
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
# The communes formed in 2025 from the former Huyện Nguyên Bình (Tam Kim, Công ty 688:
# shared/seeds): one officer covers them all, as a liaison for several communes would.
NGUYEN_BINH_COMMUNES = ("01726", "01729", "01738", "01747", "01768", "01774", "01777")

DEMO_USERS = [
    # username, full name, role, codes of the localities covered, position
    ("trungtam", "Bế Thị Hương", Role.CENTRE_STAFF, (), "Cán bộ Trung tâm Khuyến công"),
    ("diaban", "Nông Văn Dũng", Role.DISTRICT_OFFICER, NGUYEN_BINH_COMMUNES, "Cán bộ địa bàn"),
    ("diaban2", "Hoàng Thị Mai", Role.DISTRICT_OFFICER, ("01660", "01699"), "Cán bộ địa bàn"),
    (
        "diaban3",
        "Lục Văn Tâm",
        Role.DISTRICT_OFFICER,
        ("01774",),
        "Công chức Phòng Kinh tế xã Tam Kim",
    ),
    ("lanhdao", "Đàm Văn Hải", Role.MANAGER, (), "Giám đốc Trung tâm"),
    ("thanhtra", "Lục Thị Hà", Role.VIEWER, (), "Thanh tra Sở Công Thương"),
]


def seed_users() -> dict[str, User]:
    load_default_tree()
    users = {}
    for username, full_name, role, codes, position in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "full_name": full_name,
                "role": role,
                "position": position,
                "email": f"{username}@khuyencong.example",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.localities.set([Locality.objects.by_code(code) for code in codes])
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
