"""Data migration: files stored before their names held a random token
("reports/2026/11/lle-contract-agreement-12.pdf", guessable from an id) move
to unguessable names, as new files get (lle_portal.files.PrivateUploadTo).

It lives in deployments because a contract and a statement share their
Report's file: both apps' rows are moved together, so a shared file moves
once and every row that names it follows. A file missing from the storage is
left as it is. Old files are deleted only once the new names are committed.
"""

import re
import secrets

from django.core.files.storage import default_storage
from django.db import migrations, transaction
from django.utils import timezone

TOKENED = re.compile(r".*/\d{4}/\d{2}/[A-Za-z0-9_-]{22}/[^/]+")
# Reports first: a contract or statement names its report's file.
FIELDS = [
    ("lle_portal", "Report", "file", "reports"),
    ("lle_portal", "ImportJob", "file", "imports"),
    ("deployments", "Deployment", "contract_pdf", "deployments/contracts"),
    ("deployments", "ReimbursementStatement", "pdf", "deployments/statements"),
]


def move_files(apps, schema_editor):
    storage = default_storage
    moved: dict[str, str] = {}

    def new_name(name: str, folder: str) -> str:
        if not name or TOKENED.fullmatch(name):
            return name
        if name in moved:
            return moved[name]
        if not storage.exists(name):
            return name
        target = f"{folder}/{timezone.now():%Y/%m}/{secrets.token_urlsafe(16)}/{name.rsplit('/', 1)[-1]}"
        with storage.open(name, "rb") as content:
            moved[name] = storage.save(target, content)
        return moved[name]

    for app_label, model_name, field, folder in FIELDS:
        model = apps.get_model(app_label, model_name)
        rows = model.objects.exclude(**{field: ""}).values_list("pk", field)
        for pk, name in list(rows):
            renamed = new_name(name, folder)
            if renamed != name:
                model.objects.filter(pk=pk).update(**{field: renamed})

    def delete_old() -> None:
        for old in moved:
            storage.delete(old)

    transaction.on_commit(delete_old, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("deployments", "0003_private_file_names"),
        ("lle_portal", "0004_import_scope_and_private_file_names"),
    ]

    operations = [migrations.RunPython(move_files, migrations.RunPython.noop)]
