"""The default queue: patients who name no queue join it, and every doctor serves it."""
from django.db import migrations


def create_default_queue(apps, schema_editor):
    Queue = apps.get_model("queueing", "Queue")
    if not Queue.objects.filter(is_default=True).exists():
        Queue.objects.get_or_create(
            slug="general",
            defaults={"name": "General", "specialty": "", "is_default": True},
        )


def remove_default_queue(apps, schema_editor):
    Queue = apps.get_model("queueing", "Queue")
    Queue.objects.filter(slug="general", is_default=True, entries__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("queueing", "0001_initial")]

    operations = [migrations.RunPython(create_default_queue, remove_default_queue)]
