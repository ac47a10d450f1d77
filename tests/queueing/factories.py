"""Factories for the waiting room's tests."""
from __future__ import annotations

import factory

from queueing.models import Queue


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue

    name = factory.Sequence(lambda n: f"Specialty {n}")
    slug = factory.Sequence(lambda n: f"specialty-{n}")
    specialty = "Dermatology"
