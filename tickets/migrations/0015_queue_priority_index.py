# The agents' queue filtered by priority, read in its default order (first response due, soonest first).

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_staff_by_name_index'),
        ('tickets', '0014_search_document_statistics'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['priority', 'first_response_due_at', '-id'], name='ticket_priority_due'),
        ),
    ]
