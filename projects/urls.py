"""Everything under /de-an/, one namespace (`projects:`) made of the capabilities' own URL
lists, so templates name a page without knowing which package serves it."""

from projects.applications import urls as applications
from projects.closeout import urls as closeout
from projects.detail import urls as detail
from projects.process import urls as process

app_name = "projects"

urlpatterns = (
    applications.urlpatterns + process.urlpatterns + detail.urlpatterns + closeout.urlpatterns
)
