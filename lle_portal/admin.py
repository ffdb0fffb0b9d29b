from django.contrib import admin

from . import models

admin.site.register(models.LocalAuthority)

# Admin for users and invitations lives beside, to keep this file to school data.
from . import admin_accounts  # noqa: E402, F401
