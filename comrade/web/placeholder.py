"""Temporary page for an area that is still being built (removed when every area has its pages)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def coming(request, **kwargs):
    return render(request, "web/placeholder.html")
