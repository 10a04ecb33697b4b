# The sort indexes end on the id, as every sort does (tickets.filters.SORTS), so a page is read in index order.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_language_names'),
        ('tickets', '0012_search_documents'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='ticket',
            name='ticket_org_activity',
        ),
        migrations.RemoveIndex(
            model_name='ticket',
            name='ticket_org_created',
        ),
        migrations.RemoveIndex(
            model_name='ticket',
            name='ticket_org_status_activity',
        ),
        migrations.RemoveIndex(
            model_name='ticket',
            name='ticket_requester_activity',
        ),
        migrations.RemoveIndex(
            model_name='ticket',
            name='ticket_requester_created',
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['organisation', '-last_activity_at', '-id'], name='ticket_org_activity'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['organisation', '-created_at', '-id'], name='ticket_org_created'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['organisation', 'status', '-last_activity_at', '-id'], name='ticket_org_status_activity'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['requester', '-last_activity_at', '-id'], name='ticket_requester_activity'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['requester', '-created_at', '-id'], name='ticket_requester_created'),
        ),
    ]
