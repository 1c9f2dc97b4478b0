from django.core.management.base import BaseCommand
from django.db import transaction

from facilities.demo import seed_facilities
from khuyencong.demo import DEMO_PASSWORD, DEMO_USERS, seed_users
from khuyencong.models import Locality
from projects.applications.demo import seed_projects
from projects.closeout.demo import seed_closeout
from projects.planning.demo import seed_plans, seed_reported_figures


class Command(BaseCommand):
    help = (
        "Load demo data (Cao Bằng localities, facilities, demo accounts, programme, plans, "
        "allocations and projects). Safe to run again."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        # Each capability's demo in the order the work happens; each is idempotent.
        users = seed_users()
        facilities = seed_facilities()
        allocations = seed_plans()
        seed_reported_figures(users)
        projects = seed_projects(users, allocations)
        projects += seed_closeout(users)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(facilities)} facilities, {len(projects)} projects."
            )
        )
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        for username, full_name, role, codes, _position in DEMO_USERS:
            names = [Locality.objects.by_code(code).full_name for code in codes]
            where = f": {', '.join(names)}" if names else ""
            self.stdout.write(f"  {username:<9} {role.label}{where} – {full_name}")
        self.stdout.write("  quantri   superuser for /quan-tri/ (Django admin)")
        self.stdout.write(
            "lanhdao and quantri also give a two-factor code (demo secret "
            "NNUHK6LFNZRW63THFVSGK3LPFUZGMYJB): oathtool --totp -b NNUHK6LFNZRW63THFVSGK3LPFUZGMYJB"
        )
