from django.core.management.base import BaseCommand
from django.db import transaction

from facilities.demo import seed_facilities
from khuyencong.demo import DEMO_PASSWORD, DEMO_USERS, seed_users
from projects.demo import seed_projects


class Command(BaseCommand):
    help = (
        "Load demo data (Cao Bằng localities, facilities, demo accounts, programme, plans, "
        "allocations and projects). Safe to run again."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        users = seed_users()
        facilities = seed_facilities()
        projects = seed_projects(users)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(facilities)} facilities, {len(projects)} projects."
            )
        )
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        for username, full_name, role, code, _position in DEMO_USERS:
            where = f", địa bàn {code}" if code else ""
            self.stdout.write(f"  {username:<9} {role.label}{where} – {full_name}")
        self.stdout.write("  quantri   superuser for /quan-tri/ (Django admin)")
        self.stdout.write(
            "lanhdao and quantri also give a two-factor code (demo secret "
            "NNUHK6LFNZRW63THFVSGK3LPFUZGMYJB): oathtool --totp -b NNUHK6LFNZRW63THFVSGK3LPFUZGMYJB"
        )
