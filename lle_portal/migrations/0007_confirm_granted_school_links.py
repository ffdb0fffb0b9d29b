"""Existing school links that an adviser granted are confirmed: governors (only
ever invited) and heads who accepted an invitation naming their school. Links
made at self-registration stay claims, in the adviser's queue. One confirmed
head per school: when two invited heads share a school, the first invited wins
and the other waits as a claim."""

from django.db import migrations
from django.db.models import Q


def confirm_granted_links(apps, schema_editor):
    User = apps.get_model("lle_portal", "User")
    Invitation = apps.get_model("lle_portal", "Invitation")
    for governor in User.objects.filter(role="governor", school__isnull=False, school_confirmed_at__isnull=True):
        invitation = Invitation.objects.filter(user=governor).order_by("accepted_at").first()
        governor.school_confirmed_at = (invitation and invitation.accepted_at) or governor.date_joined
        governor.school_confirmed_by_id = invitation.created_by_id if invitation else None
        governor.save(update_fields=["school_confirmed_at", "school_confirmed_by"])
    headed = set()
    invitations = Invitation.objects.filter(
        Q(role="headteacher"), accepted_at__isnull=False, user__role="headteacher", school__isnull=False,
        self_registered=False,  # a registration is a claim, never a grant
    ).order_by("accepted_at", "pk")
    for invitation in invitations:
        head = invitation.user
        if head.school_id != invitation.school_id or head.school_id in headed or head.school_confirmed_at:
            continue
        headed.add(head.school_id)
        User.objects.filter(pk=head.pk).update(
            school_confirmed_at=invitation.accepted_at, school_confirmed_by_id=invitation.created_by_id
        )


class Migration(migrations.Migration):
    dependencies = [("lle_portal", "0006_user_school_link_confirmation")]

    operations = [migrations.RunPython(confirm_granted_links, migrations.RunPython.noop)]
